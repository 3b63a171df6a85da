"""80-digit mpmath references for the band AMMs, written straight from the spec formulas."""

import mpmath

mpmath.mp.dps = 80
mpf = mpmath.mpf


def logit(p):
    return mpmath.log(p / (1 - p))


class LmsrRef:
    """b = B / ln(pb/pa); state logit(p); cash b ln((1-p)/(1-p'))."""

    def __init__(self, budget, pa, pb):
        self.pa, self.pb = mpf(pa), mpf(pb)
        self.scale = mpf(budget) / mpmath.log(self.pb / self.pa)

    def state(self, p):
        return logit(mpf(p))

    def price(self, s):
        return 1 / (1 + mpmath.exp(-s))

    def cash(self, s0, s1):
        return self.scale * mpmath.log((1 - self.price(s0)) / (1 - self.price(s1)))

    def shares_for_cash(self, s, c):
        p = self.price(s)
        return self.scale * mpmath.log((mpmath.exp(mpf(c) / self.scale) - 1 + p) / p)


class RangeRef:
    """YES = L(1/sqrt(P) - 1/sqrt(pb)), cash = L(sqrt(P) - sqrt(pa)); state -1/sqrt(P)."""

    def __init__(self, budget, pa, pb):
        self.pa, self.pb = mpf(pa), mpf(pb)
        ra, rb = mpmath.sqrt(self.pa), mpmath.sqrt(self.pb)
        self.scale = mpf(budget) / ((1 / ra - 1 / rb) - (rb - ra))

    def state(self, p):
        return -1 / mpmath.sqrt(mpf(p))

    def price(self, s):
        return 1 / (s * s)

    def cash(self, s0, s1):
        return self.scale * (mpmath.sqrt(self.price(s1)) - mpmath.sqrt(self.price(s0)))

    def shares_for_cash(self, s, c):
        root = mpmath.sqrt(self.price(s)) + mpf(c) / self.scale
        return self.scale * (1 / mpmath.sqrt(self.price(s)) - 1 / root)


class PmRef:
    """pm-AMM: y = L(z Phi(z) + phi(z)), x = y - L z; YES to scout = c + x drained."""

    def __init__(self, budget, pa, pb):
        self.pa, self.pb = mpf(pa), mpf(pb)
        za, zb = self.state(pa), self.state(pb)
        loss_per_l = (zb - za) - (self.g(zb) - self.g(za))
        self.scale = mpf(budget) / loss_per_l

    @staticmethod
    def g(z):
        return z * mpmath.ncdf(z) + mpmath.npdf(z)

    def state(self, p):
        return mpmath.findroot(lambda z: mpmath.ncdf(z) - mpf(p), 0)

    def price(self, s):
        return mpmath.ncdf(s)

    def reserves(self, z):
        y = self.scale * self.g(z)
        return y - self.scale * z, y

    def cash(self, s0, s1):
        return self.reserves(s1)[1] - self.reserves(s0)[1]

    def shares_for_cash(self, s, c):
        # mint c sets, add c NO to the pool, drain YES to stay on the invariant
        x0, y0 = self.reserves(s)
        z1 = mpmath.findroot(lambda z: self.scale * self.g(z) - (y0 + mpf(c)), s)
        x1, _ = self.reserves(z1)
        return mpf(c) + (x0 - x1)


class DynamicPmRef:
    """Dynamic pm-AMM (Moallemi & Robinson, 2024), from the paper's invariant alone: the pool
    holds x YES and y NO with ``(y - x) Phi((y - x) / L_t) + L_t phi((y - x) / L_t) - y = 0``,
    ``L_t = L sqrt(T - t)``, price ``P = Phi((y - x) / L_t)``. Between trades the price holds
    and the reserves follow L_t (the LP withdraws them). A buy of YES with cash c mints c sets,
    puts the c NO in the pool and takes YES out: the scout gets c plus the YES drained. A sale
    of n YES puts n YES in, takes c NO out to redeem c sets with c of the scout's YES: the
    scout gets c. Every root is found numerically (findroot), never from a closed form of ours.
    """

    def __init__(self, budget, pa, pb, horizon):
        self.pa, self.pb, self.horizon = mpf(pa), mpf(pb), mpf(horizon)
        # the worst case is a full traverse at t = 0; per unit of L_0 it loses:
        xa, _ = self.reserves(self.pa, 1)
        xb, _ = self.reserves(self.pb, 1)
        self.opening = mpf(budget) / (xa - xb)  # L_0, with loss x_a - x_b per unit
        self.liquidity = self.opening / mpmath.sqrt(self.horizon)  # L

    @staticmethod
    def invariant(x, y, lt):
        d = y - x
        return d * mpmath.ncdf(d / lt) + lt * mpmath.npdf(d / lt) - y

    def liquidity_at(self, t):
        return self.liquidity * mpmath.sqrt(self.horizon - mpf(t))

    def reserves(self, p, lt):
        """(x, y) on the invariant at price p: y - x = L_t Phi^-1(p), y from the invariant."""
        d = lt * mpmath.findroot(lambda z: mpmath.ncdf(z) - mpf(p), 0)
        y = mpmath.findroot(lambda y: self.invariant(y - d, y, lt), lt)
        return y - d, y

    def price(self, x, y, lt):
        return mpmath.ncdf((y - x) / lt)

    def buy(self, p, t, cash):
        """(YES the scout gets, price after) for ``cash`` spent at price p, time t."""
        lt = self.liquidity_at(t)
        x0, y0 = self.reserves(p, lt)
        y1 = y0 + mpf(cash)
        x1 = mpmath.findroot(lambda x: self.invariant(x, y1, lt), x0)
        return mpf(cash) + (x0 - x1), self.price(x1, y1, lt)

    def sell(self, p, t, shares):
        """(cash the scout gets, price after) for ``shares`` YES sold at price p, time t."""
        lt = self.liquidity_at(t)
        x0, y0 = self.reserves(p, lt)
        n = mpf(shares)
        c = mpmath.findroot(lambda c: self.invariant(x0 + n - c, y0 - c, lt), n * mpf(p))
        return c, self.price(x0 + n - c, y0 - c, lt)
