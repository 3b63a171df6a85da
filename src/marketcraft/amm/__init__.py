"""Pure pricing math for automated market makers, one concept per module, Decimal throughout.

Every rounding is named and favours the pool (costs up, payouts down).
"""
