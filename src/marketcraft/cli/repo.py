"""`marketcraft repo ...`: commit to a report, run the proof setup, contribute to one (alone or
in a session's ceremony, from the dealer's own machine), settle and prove, verify, write the
examples."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from marketcraft.cli.number_options import whole_number
from marketcraft.kernel.errors import MarketcraftError, ValidationError
from marketcraft.repo.poseidon import field_element
from marketcraft.repo.proving import MAX_K
from marketcraft.repo.reports import read_json, report_from_plain
from marketcraft.repo.schedule import Side
from marketcraft.repo.sealing import Opening, seal
from marketcraft.repo.selection import select
from marketcraft.repo.settlement import audit, outcome_plain
from marketcraft.repo.settlement import settle as settle_and_prove
from marketcraft.repo.zk import ceremony
from marketcraft.repo.zk.proof import verify_both
from marketcraft.repo.zk.transcript import Ceremony

app = typer.Typer(no_args_is_help=True, help="Sealed repo-trade contract.")
out = Console()
err = Console(stderr=True)

SetupOption = Annotated[
    str | None,
    typer.Option("--setup", help="Setup id (or unique prefix) or folder; default: the newest "
                 "setup in the cache for the reports' grid size."),
]  # fmt: skip


def _fail(exc: Exception, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code)


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (it holds a secret)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def _opening(path: Path, side: Any) -> Any:
    """An opening file, or a plain report file given a fresh salt."""
    plain = read_json(path, exact=True)
    if isinstance(plain, dict) and "salt" in plain:
        return Opening.from_plain(plain, str(path), side)
    return Opening.fresh(report_from_plain(plain, side, str(path)))


def demo_mode() -> bool:
    """Whether the demo is running (``MARKETCRAFT_DEMO``): only then is the demo's setup used."""
    from marketcraft.config import Settings  # noqa: PLC0415 (the settings load on use)

    return Settings().demo


def _setup_for(k: int, setup: str | None) -> Any:
    return ceremony.setup_for(k, setup, allow_demo=demo_mode())


def _show(result: dict[str, Any], title: str) -> None:
    table = Table(title=title, show_header=False)
    for key, value in result.items():
        table.add_row(key, str(value))
    out.print(table)


@app.command("settle")
def settle(
    mm: Annotated[Path, typer.Argument(help="BDmm's report or opening (JSON).")],
    rm: Annotated[Path, typer.Argument(help="BDrm's report or opening (JSON).")],
    no_proof: Annotated[bool, typer.Option("--no-proof", help="Select without proving.")] = False,
    setup: SetupOption = None,
    proof_out: Annotated[
        Path | None, typer.Option("--out", help="Write the settlement with its proof here.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Select the joint-profit-maximising trade that clears both hurdles, or no trade, and prove
    it. Rates are in basis points; the joint profit is in basis points times volume. A report
    without a salt is committed with a fresh one."""
    try:
        mm_open, rm_open = _opening(mm, Side.MM), _opening(rm, Side.RM)
        if no_proof:
            result = outcome_plain(select(mm_open.report, rm_open.report))
        else:
            chosen = _setup_for(len(mm_open.report.volumes), setup)
            with err.status("proving"):
                settlement = settle_and_prove(chosen, mm_open, rm_open)
            bundle = settlement.to_plain()
            if proof_out:
                proof_out.write_text(json.dumps(bundle, indent=1) + "\n")
            result = {**bundle["outcome"], **{k: v for k, v in bundle.items() if k != "outcome"}}
    except MarketcraftError as exc:
        raise _fail(exc) from None
    if as_json:
        typer.echo(json.dumps(result))
        return
    shown = {k: v for k, v in result.items() if k not in ("proof", "public", "grid")}
    _show(shown, "repo settlement" if result["trade"] else "no trade")


@app.command("commit")
def commit(
    report: Annotated[Path, typer.Argument(help="The dealer's report (JSON).")],
    side: Annotated[str, typer.Option("--side", help="mm or rm.")],
    opening_out: Annotated[
        Path, typer.Option("--out", help="Write the opening (report + salt; keep it secret).")
    ],
    seal_to: Annotated[
        str | None,
        typer.Option(
            "--seal-to",
            help="The contract's X25519 public key (hex): also write the "
            "opening sealed to it, as OUT.sealed",
        ),
    ] = None,
) -> None:
    """Commit to a report: print Poseidon(schedule || hurdle || salt) for a fresh random salt."""
    try:
        try:
            which = Side(side)
        except ValueError:
            raise ValidationError("bad_side", "--side must be mm or rm") from None
        opening = Opening.fresh(
            report_from_plain(read_json(report, exact=True), which, str(report))
        )
        sealed = None
        if seal_to is not None:
            try:
                key = bytes.fromhex(seal_to)
            except ValueError:
                raise ValidationError("bad_key", "--seal-to must be hex") from None
            sealed = seal(opening, key)
    except MarketcraftError as exc:
        raise _fail(exc) from None
    _write_private(opening_out, json.dumps(opening.to_plain(), indent=1) + "\n")
    if sealed is not None:
        opening_out.with_name(opening_out.name + ".sealed").write_bytes(sealed)
    typer.echo(str(opening.commitment))


@app.command("setup")
def setup_command(
    grid_size: Annotated[
        int,
        typer.Option("--grid-size", "-k", parser=whole_number(2, MAX_K), help="Grid points K."),
    ],
    contributors: Annotated[
        list[str] | None,
        typer.Option(
            "--contributor",
            help="A participant contributing randomness (repeat); default: contract, mm, rm.",
        ),
    ] = None,
) -> None:
    """Compile the circuit for K grid points and run the Groth16 setup (powers of tau, then the
    circuit key), with one contribution per participant. Prints the setup id."""
    names = contributors or ["contract", "mm", "rm"]
    try:
        with err.status("setting up") as status:
            made = ceremony.run_setup(grid_size, names, progress=status.update)
    except MarketcraftError as exc:
        raise _fail(exc) from None
    err.print(f"setup for K={made.k}: {made.constraints} constraints, contributors "
              f"{', '.join(made.contributors)}; in {made.folder}")  # fmt: skip
    typer.echo(made.id)


@app.command("contribute")
def contribute_command(
    setup: Annotated[
        str | None, typer.Argument(help="Setup id or folder (without --session).")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="The contributor's name (without --session).")
    ] = None,
    session: Annotated[
        str | None,
        typer.Option(
            "--session",
            metavar="URL",
            help="A repo session's URL (https://HOST/repo/sessions/NAME): download its "
            "setup's key, contribute here, upload; your token in $MARKETCRAFT_TOKEN.",
        ),
    ] = None,
) -> None:
    """Add a contribution to a setup's circuit key, with fresh randomness made and forgotten
    on this machine. With --session, to a session's setup as one of its dealers (named as
    your user; the MM's dealer first): prints the contribution's hash, which the service's
    ceremony then lists. Otherwise to a setup in the cache: prints the new setup's id."""
    try:
        if session is not None:
            if setup is not None or name is not None:
                raise ValidationError("bad_option", "--session takes no setup and no --name")
            from marketcraft.cli.repo_contribute import contribute_to_session  # noqa: PLC0415

            typer.echo(contribute_to_session(session, os.environ.get("MARKETCRAFT_TOKEN", "")))
            return
        if setup is None or name is None:
            raise ValidationError("bad_option", "give a setup and --name, or --session URL")
        made = ceremony.contribute(ceremony.load_setup(setup, allow_demo=demo_mode()), name)
    except MarketcraftError as exc:
        raise _fail(exc) from None
    typer.echo(made.id)


@app.command("prove")
def prove_command(
    mm: Annotated[Path, typer.Argument(help="BDmm's opening (JSON, with its salt).")],
    rm: Annotated[Path, typer.Argument(help="BDrm's opening (JSON, with its salt).")],
    proof_out: Annotated[Path, typer.Option("--out", help="Where to write the settlement.")],
    setup: SetupOption = None,
) -> None:
    """Settle two openings and write the outcome with its proof."""
    try:
        mm_open = Opening.from_plain(read_json(mm, exact=True), str(mm), Side.MM)
        rm_open = Opening.from_plain(read_json(rm, exact=True), str(rm), Side.RM)
        chosen = _setup_for(len(mm_open.report.volumes), setup)
        with err.status("proving"):
            settlement = settle_and_prove(chosen, mm_open, rm_open)
    except MarketcraftError as exc:
        raise _fail(exc) from None
    bundle = settlement.to_plain()
    proof_out.write_text(json.dumps(bundle, indent=1) + "\n")
    _show(bundle["outcome"], "repo settlement (proved)")


@app.command("verify")
def verify_command(
    settlement: Annotated[
        Path | None, typer.Argument(help="A published settlement (JSON); or --session.")
    ] = None,
    vkey: Annotated[
        Path | None, typer.Option("--vkey", help="The setup's verification key (JSON).")
    ] = None,
    setup: SetupOption = None,
    posted_mm: Annotated[
        str | None,
        typer.Option(
            "--posted-mm",
            metavar="COMMITMENT|FILE",
            help="The commitment BDmm posted (its decimal value, or a file holding it or an "
            "opening): the settlement must be over it.",
        ),
    ] = None,
    posted_rm: Annotated[
        str | None,
        typer.Option("--posted-rm", metavar="COMMITMENT|FILE", help="The same for BDrm."),
    ] = None,
    session: Annotated[
        str | None,
        typer.Option(
            "--session",
            metavar="URL",
            help="A settled repo session's URL (https://HOST/repo/sessions/NAME): fetch its "
            "settlement, posted commitments, circuit key and phase-1 file and check them "
            "all here; your auditor token in $MARKETCRAFT_TOKEN.",
        ),
    ] = None,
) -> None:
    """Check a settlement: the ceremony of its setup (the setup's files must be here: in the
    cache, or the folder --setup names), its public signals against the outcome, commitments
    and grid, the commitments against the ones the dealers posted (when given), and the
    proof with snarkjs and with the Python verifier. Lists every contribution to the setup
    and who made it. Exits 1 naming each failed check. With --session, the settlement and
    what the dealers posted come from the service, and the setup's ceremony is checked here
    from its files (the service's own verdict is not used)."""
    try:
        plain, named, posted = _to_check(
            settlement, setup, vkey, session, _posted_pair(posted_mm, posted_rm)
        )
        checked, setup_key, why = _checked_ceremony(named)
        key = read_json(vkey) if vkey is not None else setup_key
        if key is None:
            raise MarketcraftError("no_setup", f"{why}; pass --vkey to check the rest")
        # the key given must be the verified setup's own
        verified = checked is not None and key == setup_key
        checks = audit(plain, key, verify_both, posted, verified)
    except MarketcraftError as exc:
        raise _fail(exc) from None
    if checked is not None:
        _show_ceremony(checked)
    if not verified:
        reason = why or "the key given is not its key"
        out.print(f"[red]the setup's ceremony: {reason}[/]", soft_wrap=True)
    commitments = plain.get("commitments") if isinstance(plain, dict) else None
    if isinstance(commitments, dict):
        for side in ("mm", "rm"):
            out.print(f"commitment {side}: {commitments.get(side)}", soft_wrap=True)
    if posted is None:
        out.print("[yellow]the commitments were not checked against posted ones[/] "
                  "(--posted-mm, --posted-rm)")  # fmt: skip
    for name, ok in checks.items():
        out.print(f"[{'green' if ok else 'red'}]{'ok ' if ok else 'FAILED'}[/] {name}")
    if not all(checks.values()):
        raise typer.Exit(1)


def _to_check(
    settlement: Path | None,
    setup: str | None,
    vkey: Path | None,
    session: str | None,
    posted: tuple[int, int] | None,
) -> tuple[Any, Any, tuple[int, int] | None]:
    """What `repo verify` checks: the settlement, the setup it names and the commitments
    posted (from the files given, the auditor's download from the service as it is, or
    fetched from --session)."""
    if session is None:
        if settlement is None:
            raise ValidationError("bad_option", "give a settlement file, or --session URL")
        plain = read_json(settlement)
        if isinstance(plain, dict) and isinstance(plain.get("settlement"), dict):
            # the auditor's download from the service: the settlement and what was posted
            if posted is None and isinstance(plain.get("posted"), dict):
                from marketcraft.cli.repo_audit import posted_of  # noqa: PLC0415 (loads on use)

                posted = posted_of(plain)
            plain = plain["settlement"]
        return plain, setup or (plain.get("setup") if isinstance(plain, dict) else None), posted
    if settlement is not None or setup is not None or vkey is not None:
        raise ValidationError("bad_option", "--session takes no settlement, --setup or --vkey")
    from marketcraft.cli.repo_audit import fetch_session  # noqa: PLC0415 (an HTTP client)

    token = os.environ.get("MARKETCRAFT_TOKEN", "")
    fetched = fetch_session(session, token, allow_demo=demo_mode())
    return fetched.settlement, fetched.setup.id, posted or fetched.posted


def _checked_ceremony(named: Any) -> tuple[Ceremony | None, Any, str]:
    """The setup's ceremony (None if it does not verify, and why) and its key (None if the
    setup's files are not here)."""
    if not isinstance(named, str):
        return None, None, "no setup named (pass --setup)"
    try:
        found = ceremony.load_setup(named, allow_demo=demo_mode())
    except MarketcraftError as exc:
        return None, None, str(exc)
    try:
        return found.ceremony(), found.vkey, ""
    except MarketcraftError as exc:
        return None, found.vkey, str(exc)


def _show_ceremony(done: Ceremony) -> None:
    out.print(
        f"setup {done.setup_id}: its ceremony, verified" + (" (DEMO ONLY)" if done.demo else "")
    )
    for c in done.contributions:
        out.print(f"  phase {c.phase} #{c.number} by {c.name}: {c.hash}", soft_wrap=True)


def _posted_pair(mm: str | None, rm: str | None) -> tuple[int, int] | None:
    if mm is None and rm is None:
        return None
    if mm is None or rm is None:
        raise MarketcraftError("bad_commitment", "pass both --posted-mm and --posted-rm")
    return _posted(mm, "--posted-mm", Side.MM), _posted(rm, "--posted-rm", Side.RM)


def _posted(given: str, option: str, side: Side) -> int:
    """A posted commitment: its decimal value, or a file holding it (bare, or as
    ``{"commitment": ...}``), or an opening (whose commitment is computed)."""
    text = given.strip()
    if not text.isdigit():
        path = Path(given)
        if not path.is_file():
            raise MarketcraftError("bad_commitment", f"{option}: neither a number nor a file")
        text = path.read_text().strip()
        if not text.isdigit():
            plain = read_json(path, exact=True)
            if isinstance(plain, dict) and "salt" in plain:
                return Opening.from_plain(plain, str(path), side).commitment
            found = plain.get("commitment") if isinstance(plain, dict) else None
            text = found if isinstance(found, str) else ""
    return field_element(text, option, "bad_commitment")


@app.command("examples")
def examples_command(
    folder: Annotated[Path, typer.Option("--out", help="Where to write them.")] = Path(
        "examples/repo"
    ),
) -> None:
    """Write the example reports, with the outcome the contract selects for each pair and
    what each dealer is told of it (the files in examples/repo/)."""
    from marketcraft.repo.examples import example_files  # noqa: PLC0415

    folder.mkdir(parents=True, exist_ok=True)
    for name, text in example_files().items():
        (folder / name).write_text(text)
    typer.echo(f"wrote {len(example_files())} files to {folder}")
