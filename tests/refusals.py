"""The failure contract, as the tests check it: one `error:` line on stderr, the exit code, no
traceback, and nothing left behind."""

import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from conftest import ROOT

LEFTOVER_PATTERNS = ("*.partial", "*.old", ".*.tmp*", "tmp.*", "*.tmp.*")


def run_cli(*args, env=None, preexec_fn=None) -> tuple[int, str, str]:
    """The real command in a process of its own: (exit code, stdout, stderr)."""
    res = subprocess.run([sys.executable, "-m", "render.cli", *map(str, args)], capture_output=True, text=True,
                         cwd=ROOT, env=env, preexec_fn=preexec_fn, check=False)
    return res.returncode, res.stdout, res.stderr


def invoke(*args) -> tuple[int, str, str]:
    """The command in this process (fast; for many cases): (exit code, stdout, stderr).
    An exception other than the exit is re-raised: a traceback is what the contract forbids."""
    from render.cli import main

    res = CliRunner().invoke(main, [str(a) for a in args])
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception
    return res.exit_code, res.stdout, res.stderr


def assert_refused(result: tuple[int, str, str], *needles: str, code: int = 2) -> str:
    """stderr is one `error:` line and nothing else (progress bars aside: no traceback, no
    library chatter such as libpng's), with the exit code; returns the line."""
    rc, out, err = result
    assert rc == code, (rc, out[-2000:], err[-2000:])
    lines = [ln for ln in err.splitlines() if ln.strip() and not re.search(r"\d+%\|", ln)]
    errors = [ln for ln in lines if ln.startswith("error:")]
    assert len(errors) == 1 and len(lines) == 1, err[-3000:]
    for n in needles:
        assert n in errors[0], errors[0]
    return errors[0]


def leftovers(root: Path) -> list[Path]:
    """Temporary files and directories a failed or refused command must not leave under root."""
    return sorted(p for pattern in LEFTOVER_PATTERNS for p in Path(root).rglob(pattern))
