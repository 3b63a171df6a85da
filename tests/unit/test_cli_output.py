"""The command line's output: tables that fit the terminal (100 columns at most) without cutting
a value, plain progress lines when the output is not a terminal, and help that names every
value after its option (no parser or type names such as ``<read>`` or ``<str>``)."""

from __future__ import annotations

import io
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from marketcraft.cli.main import command
from marketcraft.cli.progress import plain_progress
from marketcraft.cli.tables import MAX_WIDTH, fitted_tables

cells = (
    st.text(alphabet="0123456789,.% ±-loss", min_size=1, max_size=22).map(str.strip).filter(bool)
)
labels = st.text(alphabet="abcdefghij ,%()", min_size=1, max_size=60).map(str.strip).filter(bool)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 9), st.lists(labels, min_size=1, max_size=6), st.data(),
       st.integers(60, 160))  # fmt: skip
def test_tables_fit_the_width_and_never_cut_a_value(points, names, data, width):
    headers = [f"vol={i / 10:g}, drift={i}" for i in range(points)]
    rows = [(name, [data.draw(cells) for _ in headers]) for name in names]
    console = Console(width=width, record=True, file=io.StringIO())
    for table in fitted_tables("sweep", "metric", headers, rows, width):
        console.print(table)
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= min(width, MAX_WIDTH)
    assert "…" not in text
    for _, values in rows:
        for value in values:
            assert value in text  # on one line, whole


def test_progress_off_a_terminal_is_a_plain_line_every_few_seconds_and_at_the_end():
    now = [0.0]
    stream = io.StringIO()
    update = plain_progress("simulating", stream, every=5.0, clock=lambda: now[0])
    for done in range(0, 1001, 50):
        now[0] = done / 50  # one second per 50
        update(done, 1000)
    update(1000, 1000)  # told the end twice: said once
    lines = stream.getvalue().splitlines()
    assert len(lines) == 4  # at 5, 10 and 15 seconds, and at the end (20 s)
    assert lines[0] == "simulating: 25% (250 of 1,000), 5 s in, about 15 s left"
    assert lines[-1] == "simulating: 100% (1,000 of 1,000), 20 s in"


def _commands(group, ctx, path=()):
    for name in group.list_commands(ctx):
        sub = group.get_command(ctx, name)
        if hasattr(sub, "list_commands"):
            yield from _commands(sub, ctx, (*path, name))
        else:
            yield (*path, name)


def test_every_commands_help_names_its_values(capsys):
    root = command()
    paths = list(_commands(root, root.make_context("marketcraft", [], resilient_parsing=True)))
    assert len(paths) > 25
    for path in paths:
        root.main([*path, "--help"], prog_name="marketcraft", standalone_mode=False)
        shown = capsys.readouterr().out
        assert "Usage: marketcraft " + " ".join(path) in shown, path
        assert not re.search(r"<(read|str|path|int|float|bool|list)[^>]*>", shown), (path, shown)
    root.main(["peg", "simulate", "--help"], prog_name="marketcraft", standalone_mode=False)
    assert re.search(r"--runs\s+RUNS", capsys.readouterr().out)


def test_exactly_the_commands_the_readme_names_take_a_database_url():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    (sentence,) = re.findall(r"The commands that use the database take `--database-url`.*?\.\n",
                             readme, re.S)  # fmt: skip
    named = set()
    for phrase in re.findall(r"`([a-z |]+)`", sentence):
        words = phrase.split()
        heads, last = words[:-1], words[-1].split("|")
        named |= {" ".join([*heads, w]) for w in last}
    root = command()
    ctx = root.make_context("marketcraft", [], resilient_parsing=True)
    taking = set()
    for path in _commands(root, ctx):
        cmd = root
        for name in path:
            cmd = cmd.get_command(ctx, name)
        if any("--database-url" in p.opts for p in cmd.params):
            taking.add(" ".join(path))
    assert taking == named
