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
