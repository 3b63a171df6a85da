"""Hostile numbers given to every numeric option of every command line: each is a usage error,
exit code 2, with a message naming the option and no traceback (before: ``opportunity plan
--budget 1e400`` printed a decimal.InvalidOperation traceback, ``--skill 1e26`` an
OverflowError, ``--days inf`` another).

Every option of every command is classified here (number or not), so a new option fails
``test_every_option_is_classified`` until it is; a number option is then fuzzed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from marketcraft.cli import app
from marketcraft.repo.zk import ceremony
from tests.support.hostile_numbers import HOSTILE_TEXT, hostile_text, known_text

ROOT = Path(__file__).parents[2]
DEALS = ROOT / "examples" / "deals"
runner = CliRunner()

#: a valid, quick invocation of each command with number options
COMMANDS: dict[str, list[str]] = {
    "serve": ["serve", "--database-url", "memory://"],
    "opportunity plan": ["opportunity", "plan", "--budget", "100", "--band", "0.01", "0.3"],
    "opportunity quote": ["opportunity", "quote", "--budget", "100", "--band", "0.01", "0.3",
                          "--price", "0.1", "--cash", "1"],
    "opportunity simulate": ["opportunity", "simulate", "--markets", "2", "--scouts", "1",
                             "--json", "--plot", "{tmp}/plot.png"],
    "peg simulate": ["peg", "simulate", "gbm-crash", "--runs", "1", "--days", "0.01",
                     "--workers", "1", "--json", "--out", "{tmp}"],
    "peg restoration": ["peg", "restoration", "--gap", "0.1", "--fee", "0.01", "--tick",
                        "600", "--json"],
    "deal analyze": ["deal", "analyze", str(DEALS / "article.toml"), "--paths", "10",
                     "--workers", "1", "--json", "--out", "{tmp}"],
    "deal hedge": ["deal", "hedge", str(DEALS / "positions.toml"), "--price", "1"],
    "deal sample-trades": ["deal", "sample-trades", "{tmp}/trades.csv", "--hours", "1"],
    "repo setup": ["repo", "setup", "--grid-size", "2"],
    "opportunity monitor": ["opportunity", "monitor", "http://127.0.0.1:9", "--program", "p",
                            "--key", "00" * 32, "--once", "--state", "{tmp}/s"],
}  # fmt: skip
#: each number option and how it reads its number
NUMBERS: dict[tuple[str, str], str] = {
    ("serve", "--port"): "integer", ("serve", "--workers"): "integer",
    ("opportunity plan", "--budget"): "decimal", ("opportunity plan", "--band"): "decimal",
    ("opportunity quote", "--budget"): "decimal", ("opportunity quote", "--band"): "decimal",
    ("opportunity quote", "--price"): "decimal", ("opportunity quote", "--cash"): "decimal",
    ("opportunity simulate", "--markets"): "integer",
    ("opportunity simulate", "--scouts"): "integer",
    ("opportunity simulate", "--seed"): "integer", ("opportunity simulate", "--skill"): "float",
    ("opportunity simulate", "--base-rate"): "float",
    ("opportunity simulate", "--budget"): "decimal",
    ("peg simulate", "--runs"): "integer", ("peg simulate", "--days"): "float",
    ("peg simulate", "--seed"): "integer", ("peg simulate", "--workers"): "integer",
    ("peg simulate", "--sweep"): "sweep",
    ("peg restoration", "--gap"): "float", ("peg restoration", "--fee"): "float",
    ("peg restoration", "--tick"): "integer", ("peg restoration", "--band"): "float",
    ("peg restoration", "--correction-hours"): "float",
    ("deal analyze", "--paths"): "integer", ("deal analyze", "--step"): "digits",
    ("deal analyze", "--seed"): "integer", ("deal analyze", "--workers"): "integer",
    ("deal analyze", "--sweep"): "sweep",
    ("deal hedge", "--price"): "float",
    ("deal sample-trades", "--intensity"): "float", ("deal sample-trades", "--decay"): "float",
    ("deal sample-trades", "--hours"): "float", ("deal sample-trades", "--seed"): "integer",
    ("repo setup", "--grid-size"): "integer",
    ("opportunity monitor", "--interval"): "float",
}  # fmt: skip
#: options that hold no number (names, paths, choices, keys, addresses, flags)
NOT_NUMBERS = {
    "--host", "--database-url", "--role", "--name", "--tokens-file", "--amm", "--json",
    "--output", "--receipt", "--public-key", "--plot", "--scheduler", "--out", "--no-proof",
    "--setup", "--side", "--seal-to", "--contributor", "--vkey", "--from", "--order",
    "--program", "--key", "--state", "--once",
    "--posted-mm", "--posted-rm",  # commitments: field elements as digits, or files (test_repo_cli)
    "--session",  # a session's URL (repo contribute)
    "--scenario",  # a [[stress]] scenario's name in the terms (deal analyze)
}  # fmt: skip
#: text a float option refuses: not a number, not finite, or other scripts' digits (a float's
#: tiny values and -0 are 0, which some options take)
FLOAT_TEXT = [t for t in HOSTILE_TEXT if t != "1e-400"] + ["1_000", " nan"]


def _options(command: Any, path: list[str]) -> list[tuple[str, str]]:
    subs = getattr(command, "commands", None)
    if subs:
        return [found for name, sub in subs.items() for found in _options(sub, [*path, name])]
    return [
        (" ".join(path), p.opts[0]) for p in command.params
        if p.opts and p.opts[0].startswith("--") and p.name != "help"
    ]  # fmt: skip


def test_every_option_is_classified():
    options = _options(typer.main.get_command(app), [])
    assert len(options) > 40  # anti-vacuity: the walk reaches every command's options
    unknown = [o for o in options if o not in NUMBERS and o[1] not in NOT_NUMBERS]
    assert not unknown, f"say whether these hold numbers (NUMBERS or NOT_NUMBERS): {unknown}"
    assert {command for command, _ in NUMBERS} == set(COMMANDS)


@pytest.fixture
def nothing_runs(monkeypatch):
    """Should a hostile value get through, the command must not start a server or a setup."""

    def refuse(*_: Any, **__: Any) -> None:
        raise AssertionError("a hostile value was accepted: the command ran")

    monkeypatch.setattr(uvicorn, "run", refuse)
    monkeypatch.setattr(ceremony, "run_setup", refuse)


#: a parameter each command sweeps (a name it does not know would be refused for that alone)
SWEPT = {"peg simulate": "band", "deal analyze": "vol"}


def _known(command: str, kind: str) -> list[str]:
    if kind == "float":
        return FLOAT_TEXT
    if kind == "sweep":
        return [f"{SWEPT[command]}={t}" for t in FLOAT_TEXT if "," not in t]
    return known_text(kind)


def _hostile(command: str, kind: str) -> st.SearchStrategy[str]:
    if kind in ("float", "sweep"):
        return st.sampled_from(_known(command, kind))
    return hostile_text(kind)


def _invoke(command: str, option: str, value: str, tmp: Path) -> Any:
    args = [a.replace("{tmp}", str(tmp)) for a in COMMANDS[command]]
    if option == "--band" and command.startswith("opportunity"):  # two values: hostile first
        at = args.index("--band")
        args[at + 1 : at + 3] = [value, "0.3"]
    elif option in args:
        at = args.index(option)
        args[at : at + 2] = [f"{option}={value}"]
    else:
        args.append(f"{option}={value}")
    return runner.invoke(app, args)


@pytest.mark.parametrize(("command", "option"), sorted(NUMBERS), ids=str)
@settings(
    max_examples=10, derandomize=True, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)  # fmt: skip
@given(data=st.data())
def test_a_hostile_number_option_is_a_usage_error_naming_it(
    command, option, data, nothing_runs, tmp_path
):
    value = data.draw(_hostile(command, NUMBERS[(command, option)]), label="value")
    _refused_naming(command, option, value, tmp_path)


@pytest.mark.parametrize(("command", "option"), sorted(NUMBERS), ids=str)
def test_every_listed_hostile_number_option_is_a_usage_error_naming_it(
    command, option, nothing_runs, tmp_path
):
    for value in _known(command, NUMBERS[(command, option)]):
        _refused_naming(command, option, value, tmp_path)


def _refused_naming(command: str, option: str, value: str, tmp: Path) -> None:
    if option == "--band" and value.startswith("-"):
        value = value.lstrip("-") or "nan"  # a word starting with '-' would be read as an option
    result = _invoke(command, option, value, tmp)
    sent = repr(value)[:60]
    assert result.exit_code == 2, (sent, result.exit_code, result.output[-500:], result.exception)
    assert isinstance(result.exception, SystemExit), (sent, result.exception)  # no traceback
    assert "Traceback" not in result.output
    name = option.removeprefix("--").replace("-", "_")
    shown = result.output.replace("-", "_").replace("\n", " ")
    assert name in shown or option in result.output, (sent, result.output)


def test_the_largest_budget_is_planned_and_one_more_is_refused():
    ok = runner.invoke(app, ["opportunity", "plan", "--budget=1000000000000000", "--band",
                             "0.01", "0.3", "--json"])  # fmt: skip
    assert ok.exit_code == 0, ok.output
    refused = runner.invoke(app, ["opportunity", "plan", "--budget=1000000000000000.01",
                                  "--band", "0.01", "0.3"])  # fmt: skip
    assert refused.exit_code == 2 and "--budget" in refused.output
