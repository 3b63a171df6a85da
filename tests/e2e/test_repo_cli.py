"""`marketcraft repo settle`: the spec's linear example end to end, and reports that are
refused with a reason."""

import json
import re
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from marketcraft.cli import app

runner = CliRunner()
GRID = list(range(41))


def write(path, rates, hurdle=0, volumes=GRID):
    path.write_text(json.dumps({"volumes": volumes, "rates": rates, "hurdle": hurdle}))
    return str(path)


def settle(*args):
    return runner.invoke(app, ["repo", "settle", *args])


def test_the_linear_example_settles_at_the_joint_profit_maximum(tmp_path):
    mm = write(tmp_path / "mm.json", [500 + q for q in GRID])
    rm = write(tmp_path / "rm.json", [540 - q for q in GRID])
    result = settle(mm, rm, "--no-proof", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "trade": True, "volume": 10, "rate_mm": "510", "rate_rm": "530", "rate_bd": "520",
        "joint_profit": "200", "profit_each": "100",
    }  # fmt: skip
    hurdled = write(tmp_path / "mm20.json", [500 + q for q in GRID], hurdle=20)
    result = settle(hurdled, rm, "--no-proof", "--json")
    assert json.loads(result.output)["trade"] is False
    table = settle(mm, rm, "--no-proof")
    assert table.exit_code == 0 and re.search(r"rate_mm\s*│\s*510\s*│", table.output)


def test_figures_are_exact_decimal_text_where_a_float_would_lose_digits(tmp_path):
    big = 2**31 - 1
    # JSON numbers, read as the decimals they spell
    mm = write(tmp_path / "mm.json", [100, 100.0001], volumes=[0, big])
    rm = write(tmp_path / "rm.json", [12445.679, 12445.6789], volumes=[0, big])
    shown = json.loads(settle(mm, rm, "--no-proof", "--json").output)
    spread = Decimal("12445.6789") - Decimal("100.0001")
    assert shown["joint_profit"] == str(spread * big) == "26512143334114.5836"
    assert float(shown["joint_profit"]) != Decimal(shown["joint_profit"])  # a float would not do
    assert shown["profit_each"] == str(spread * big / 2)
    assert shown["rate_bd"] == "6272.8395"


@pytest.mark.parametrize(
    ("mm_rates", "rm_kwargs", "reason"),
    [
        ([500 - q for q in GRID], {}, "MM rates must rise at every grid step"),
        ([500 + q for q in GRID], {"rates": [540 + q for q in GRID]}, "RM rates must fall"),
        ([500 + min(q, 3) for q in GRID], {}, "a flat stretch"),
        ([500 + q for q in GRID], {"volumes": [q * 2 for q in GRID]}, "same volume grid"),
        ([500.00001 + q for q in GRID], {}, "finer than 1e-4 bp"),
        ([500 + q for q in GRID], {"hurdle": -1}, "hurdle must be in"),
        ([500 + q for q in GRID[:-1]], {}, "as many rates as volumes"),
    ],
)
def test_bad_reports_exit_2_with_a_reason(tmp_path, mm_rates, rm_kwargs, reason):
    mm = write(tmp_path / "mm.json", mm_rates)
    rm_args = {"rates": [540 - q for q in GRID], **rm_kwargs}
    rm = write(tmp_path / "rm.json", **rm_args)
    result = settle(mm, rm, "--no-proof")
    assert result.exit_code == 2
    assert reason in result.output


def test_a_missing_or_broken_file_is_named(tmp_path):
    rm = write(tmp_path / "rm.json", [540 - q for q in GRID])
    assert "cannot read" in settle(str(tmp_path / "nope.json"), rm, "--no-proof").output
    (tmp_path / "bad.json").write_text("{")
    assert "not JSON" in settle(str(tmp_path / "bad.json"), rm, "--no-proof").output


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"volumes": [0, 1], "rates": [500, 5' + "1" * 5000 + '], "hurdle": 0}', "not JSON"),
        ('{"volumes": [0, NaN], "rates": [500, 510], "hurdle": 0}', "NaN"),
        ('{"volumes": [0, 1e400], "rates": [500, 510], "hurdle": 0}', "volumes must be whole"),
        ('{"volumes": [0, 1], "rates": ["500", "510"], "hurdle": 0}', "is not a number"),
    ],
)
def test_hostile_report_files_exit_2_with_a_reason(tmp_path, text, reason):
    (tmp_path / "mm.json").write_text(text)
    rm = write(tmp_path / "rm.json", [540, 530], volumes=[0, 1])
    result = settle(str(tmp_path / "mm.json"), rm, "--no-proof", "--json")
    assert result.exit_code == 2, result.output
    assert reason in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("given", ["1e400", "-5", "NaN", "0x10", " ", "9" * 100])
def test_a_posted_commitment_must_be_a_field_element_or_a_file(tmp_path, given):
    (tmp_path / "s.json").write_text("{}")
    (tmp_path / "vk.json").write_text("{}")
    result = runner.invoke(app, [
        "repo", "verify", str(tmp_path / "s.json"), "--vkey", str(tmp_path / "vk.json"),
        "--posted-mm", given, "--posted-rm", "5",
    ])  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "--posted-mm" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("posted", "shown"),
    [
        ({"mm": "7", "rm": "9"}, None),  # read from the download: nothing says they were not
        ({"mm": "1e400", "rm": "9"}, "posted.mm"),
        ({"mm": "7", "rm": {"x": 1}}, "posted.rm"),
        (None, "were not checked against posted ones"),
    ],
)
def test_verify_reads_the_auditor_s_download_as_it_is(tmp_path, posted, shown):
    download = {"settlement": {}, "verification_key": {}}
    if posted is not None:
        download["posted"] = posted
    (tmp_path / "d.json").write_text(json.dumps(download))
    (tmp_path / "vk.json").write_text("{}")
    result = runner.invoke(app, ["repo", "verify", str(tmp_path / "d.json"),
                                 "--vkey", str(tmp_path / "vk.json")])  # fmt: skip
    assert "Traceback" not in result.output
    if shown is None:
        assert result.exit_code == 1 and "not checked against posted" not in result.output
        assert "FAILED well-formed" in result.output
    else:
        assert shown in result.output, result.output
