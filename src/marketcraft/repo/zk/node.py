"""The Node tools the proofs use (circom2, snarkjs), installed from the project's npm lock file."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from marketcraft.kernel.errors import ValidationError

__all__ = ["ToolError", "Unsatisfied", "node_bin", "run_tool"]

_FAILED_ASSERT = re.compile(r"Error in template (\w+?)(?:_\d+)? line: (\d+)")


class ToolError(RuntimeError):
    """A Node tool failed; the message carries its last output lines."""


class Unsatisfied(ToolError):
    """The witness breaks a constraint of the circuit: no proof of it exists."""

    def __init__(self, message: str, template: str, line: int) -> None:
        super().__init__(message)
        self.template = template
        self.line = line


def _candidates() -> list[Path]:
    env = os.environ.get("MARKETCRAFT_NODE_MODULES")
    if env:
        return [Path(env)]
    starts = [Path.cwd(), Path(__file__).resolve()]
    found = []
    for start in starts:
        for parent in [start, *start.parents]:
            found.append(parent / "node_modules")
    return found


def node_bin(tool: str) -> Path:
    """``node_modules/.bin/<tool>`` from ``$MARKETCRAFT_NODE_MODULES``, or the nearest
    ``node_modules`` above the working directory or this package."""
    if shutil.which("node") is None:
        raise ValidationError("no_node", "proofs need Node.js 18 or newer on the PATH")
    for modules in _candidates():
        path = modules / ".bin" / tool
        if path.exists():
            return path
    raise ValidationError(
        "no_node_tools",
        f"{tool} is not installed: run `npm ci` in the marketcraft checkout "
        "(or set MARKETCRAFT_NODE_MODULES to a node_modules folder that has it)",
    )


def run_tool(
    tool: str, *args: str | Path, cwd: Path | None = None, stdin: str | None = None
) -> str:
    """Run a Node tool (``stdin`` is written to it, e.g. a contribution's entropy, which must
    not appear in a process listing); its standard output, or a ToolError naming what failed."""
    cmd = [str(node_bin(tool)), *map(str, args)]
    done = subprocess.run(  # noqa: S603
        cmd, cwd=cwd, input=stdin or "", capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        output = done.stdout + done.stderr
        failed = _FAILED_ASSERT.search(output)
        if failed:
            template, line = failed.group(1), int(failed.group(2))
            raise Unsatisfied(
                f"the input breaks the circuit's constraint at {template}, line {line}",
                template,
                line,
            )
        tail = "\n".join(output.strip().splitlines()[-8:])
        raise ToolError(f"{tool} {args[0] if args else ''} failed:\n{tail}")
    return done.stdout
