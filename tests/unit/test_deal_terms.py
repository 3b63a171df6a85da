"""Deal terms files: the shipped examples load, and each kind of mistake is refused with a
message naming the key."""

from pathlib import Path

import pytest

from marketcraft.deal.record import terms_toml
from marketcraft.deal.terms import load_terms
from marketcraft.kernel.errors import ValidationError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "deals"


def test_the_shipped_deals_load():
    article = load_terms(EXAMPLES / "article.toml")
    assert article.loan.tokens == 3_000_000 and article.loan.tenor_days == 365
    assert [c.strike for c in article.calls] == [1.25, 1.5, 2.0]
    assert [v.depth for v in article.venues] == [100_000, 50_000, 50_000]
    assert article.pool.value == 1_000_000 and article.pool.lp_fee == 0.0017
    assert (article.hedge.initial, article.hedge.delta_mode) == ("article", "inventory")
    twap = load_terms(EXAMPLES / "twap-strike.toml")
    assert all(c.strike_multiple and c.average_days == 30 for c in twap.calls)
    cash = load_terms(EXAMPLES / "cash-repay.toml")
    assert (cash.repayment.mode, cash.repayment.cash_strike) == ("cash", 0.9)
    assert sorted(p.stem for p in EXAMPLES.glob("*.toml")) == [
        "article", "article-sells-1.8m", "cash-repay", "positions", "twap-strike",
    ]  # fmt: skip
    assert (article.hedge.keep_inventory, article.hedge.sell_for_quotes) == (700_000, 0)
    assert load_terms(EXAMPLES / "article-sells-1.8m.toml").hedge.keep_inventory == 1_200_000


BASE = """
name = "t"
[loan]
tokens = 1_000_000
"""


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ("[loan2]\nx = 1", "unknown key(s) ['loan2']"),
        ("[pool]\nfee = 'high'", "pool.fee: expected a number"),
        ("[[calls]]\ntokens = 10", "give strike or strike_multiple"),
        ("[[calls]]\ntokens = 10\nstrike = 1\nstrike_multiple = 2", "not both"),
        ("[[calls]]\ntokens = 10\nstrike_multiple = 2", "average_days must be"),
        ("[[calls]]\ntokens = 10\nstrike = 1\nstyle = 'bermudan'", "style must be one of"),
        ("[repayment]\nmode = 'cash'", "cash_strike must be > 0"),
        ("[hedge]\npolicy = 'never'", "hedge.policy must be one of"),
        ("[[venues]]\nname = 'A'\ndepth = 1\n[[venues]]\nname = 'A'\ndepth = 2", "must differ"),
        ("[[venues]]\nname = 'A'", "missing key(s) ['depth']"),
        ("[market]\nmodel = 'bootstrap'\ncsv = 'nope.csv'", "no file 'nope.csv'"),
        ("[funding]\nmodel = 'csv'\ncsv = 'rates.csv'", "no file 'rates.csv'"),
        ("[[calls]]\ntokens = 10\nstrike = 1\naverage_days = 1.5", "expected a whole number"),
        (
            "[[calls]]\ntokens = 10\nstrike = 1\n[[calls]]\ntokens = 'ten'\nstrike = 2",
            "calls[1].tokens: expected a number",
        ),
        ("[[venues]]\nname = 'A'\ndepth = 1\n[[venues]]\nname = 'B'", "venues[1]: missing"),
        (
            "[pool]\nvalue = 4_000_000",
            "the pool's token side (pool.value x pool.share / 2 / token.listing_price) must fit",
        ),
        ("[hedge]\nkeep_inventory = 600_000", "hedge.keep_inventory is for initial = 'article'"),
        ("[hedge]\nsell_for_quotes = 600_000", "hedge.sell_for_quotes + the pool's tokens"),
        ("[hedge]\ninitial = 'article'\nkeep_inventory = 400_000", "must hold the pool's tokens"),
        (
            "[hedge]\ninitial = 'article'\nkeep_inventory = 5e5\nsell_for_quotes = 1",
            "article sells",
        ),
        ("[[venues]]\nname = 'A'\ndepth = 1\nclip = 0", "clip must be in (0, 1]"),
        ("[desk]\nmargin = 0", "desk.margin must be in (0, 1], not 0"),
        ("[simulation]\npaths = 0", "simulation.paths must be in [1, 1e+06], not 0"),
    ],
)
def test_mistakes_are_named(tmp_path, extra, reason):
    path = tmp_path / "t.toml"
    path.write_text(BASE + extra)
    with pytest.raises(ValidationError) as refused:
        load_terms(path)
    assert reason in str(refused.value)


def test_a_missing_loan_and_broken_toml(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text("name = 'x'")
    with pytest.raises(ValidationError, match=r"missing key\(s\) \['loan'\]"):
        load_terms(path)
    path.write_text("[loan")
    with pytest.raises(ValidationError, match="not valid TOML"):
        load_terms(path)
    with pytest.raises(ValidationError, match="cannot read"):
        load_terms(tmp_path / "absent.toml")


@pytest.mark.parametrize("name", ["article", "twap-strike", "cash-repay"])
def test_terms_written_out_read_back_equal(tmp_path, name):
    terms = load_terms(EXAMPLES / f"{name}.toml")
    (tmp_path / "t.toml").write_text(terms_toml(terms))
    again = load_terms(tmp_path / "t.toml")
    assert again == terms and "tenor_days = " in terms_toml(terms)  # defaults written too
