"""QuantLib as an independent reference for the deal desk's option values."""


def european_call(spot: float, strike: float, years: float, vol: float) -> float:
    """A European call with r = q = 0 priced by QuantLib's analytic engine (expiry rounded
    to a whole day, as QuantLib counts dates)."""
    import QuantLib as ql  # noqa: PLC0415 (optional extra)

    today = ql.Date(1, 1, 2026)
    ql.Settings.instance().evaluationDate = today
    days = ql.Actual365Fixed()
    flat = ql.YieldTermStructureHandle(ql.FlatForward(today, 0.0, days))
    surface = ql.BlackVolTermStructureHandle(
        ql.BlackConstantVol(today, ql.NullCalendar(), vol, days)
    )
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(spot)), flat, flat, surface
    )
    expiry = ql.EuropeanExercise(today + round(years * 365))
    option = ql.EuropeanOption(ql.PlainVanillaPayoff(ql.Option.Call, strike), expiry)
    option.setPricingEngine(ql.AnalyticEuropeanEngine(process))
    return float(option.NPV())
