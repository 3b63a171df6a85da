"""The bounds on every number that comes in from outside (API, pages, command line, files).

One constant per bound, here; the entry points read numbers through types built on these (see
:mod:`marketcraft.number_types`), so the API's schema, the pages and the CLI agree.

Why these bounds. Engines compute in :data:`~marketcraft.kernel.money.MONEY_CONTEXT` (40
significant digits; quantising a value whose digits at the target places exceed that raises), and
the service still formats a few values in Python's default context (28 digits). An amount of at
most ``MAX_AMOUNT`` (10^15 units: a quadrillion dollars, beyond any real program or pool) with at
most ``AMOUNT_PLACES`` decimals has at most 22 digits; a fraction in [0, 1] with at most
``FRACTION_PLACES`` decimals has at most 19. So:

* every quantise downstream fits: a result of up to 10^33 still quantises to 6 places in 40
  digits, and a balance (a sum of bounded amounts) stays far below 10^22, the most the default
  context can quantise to 6 places, even over millions of deposits at the bound;
* an amount times a fraction or a price (fees, payouts, band prices) is rounded at most once,
  half-even, in the 41st digit, before its named rounding to the minor unit;
* LMSR's ``b = B / ln 2`` and ``b * ln(...)`` stay near 10^15, leaving 18 of the 40 digits to
  absorb the rounding of exp/ln chains, which is what the context's spare digits are for;
* events keep amounts as plain decimal text: 22 digits, with no exponent to grow.

Anything larger, more finely divided, non-finite or not plain ASCII decimal text is refused at
the entry point with an error that names the field, before any command runs.
"""

from __future__ import annotations

from decimal import Decimal

__all__ = [
    "AMOUNT_PLACES",
    "DECIMAL_TEXT_LENGTH",
    "FRACTION_PLACES",
    "MAX_AMOUNT",
    "MAX_DEAL_PATHS",
    "MAX_LOG_SIZE",
    "MAX_SCENARIO_DAYS",
    "MAX_SCENARIO_RUNS",
    "MAX_SEED",
    "MAX_SIM_MARKETS",
    "MAX_SIM_SCOUTS",
    "MAX_SIM_SKILL",
    "MAX_WORKERS",
]

#: the largest amount of any asset (cash, shares, COL, PEG, MMS), price (COL per PEG) or ratio
MAX_AMOUNT = Decimal(10) ** 15
#: the most decimals an amount may carry: the finest minor unit of any asset the entry points
#: create (shares and the peg's COL, PEG and MMS have 6; cash has 2, and the engine refuses
#: more than the asset's own)
AMOUNT_PLACES = 6
#: the most decimals of a fraction in [0, 1] (fee rates, band prices, thresholds, discounts)
FRACTION_PLACES = 18
#: the longest decimal text accepted: a sign, 16 digits, a point and 18 decimals, with room
DECIMAL_TEXT_LENGTH = 40

# -- simulation inputs (command line, scenario and terms files): finite, and small enough that a
# -- run ends in hours, not years
#: seeds of the simulators: non-negative, and exact wherever a seed travels: JSON clients
#: (JavaScript's safe integers, the schema's float bounds), Parquet's int64 columns, NumPy
MAX_SEED = 2**53 - 1
#: a log's size or entry index, as a query names it: exact in every JSON client, as seeds are
MAX_LOG_SIZE = 2**53 - 1
#: the longest span a peg scenario simulates: ten years (one year at one-minute steps is
#: already 525,600 steps per run)
MAX_SCENARIO_DAYS = 3650
#: the most runs of one peg scenario
MAX_SCENARIO_RUNS = 1_000_000
#: the most paths a deal analysis simulates (a year's daily series of 10^6 paths already takes
#: gigabytes; the service allows fewer, see ``Settings.deal_max_paths``)
MAX_DEAL_PATHS = 1_000_000
#: the largest opportunity simulation (each scout places about 8 orders, all replayed)
MAX_SIM_MARKETS = 10_000
MAX_SIM_SCOUTS = 100_000
#: the most processes one command starts on one machine (simulation workers, server workers)
MAX_WORKERS = 1024
#: the sharpest scout signal (log-odds of evidence): 100 is already certainty, and far from
#: where exp() of a belief's log-odds overflows a float (about 709)
MAX_SIM_SKILL = 100
