"""Starts Blender on a batch of prepared frame directories and relays its progress.

Blender runs in a child process: the bpy module in this interpreter (the embedded default,
`python blender_scripts/render_frames.py ...`) or an installed Blender binary
(`blender -b --python-exit-code 1 -P ...`). A crash in Blender never takes this process down,
and everything Blender prints goes to a log file.
"""

import ctypes
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from render.config import PROJECT_ROOT
from render.errors import UserError
from render.spec import EVENT_PREFIX

ENTRY_SCRIPT = PROJECT_ROOT / "blender_scripts" / "render_frames.py"


class RenderError(RuntimeError):
    pass


def _linux_child_setup(cpus: list[int] | None) -> Callable[[], None] | None:
    """Runs in the child between fork and exec: only plain system calls there (libc is loaded
    here, in the parent)."""
    try:
        prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except OSError:
        return None

    def setup() -> None:
        prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: Blender dies with the process that started it
        if cpus:
            os.sched_setaffinity(0, cpus)

    return setup


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def blender_command(args: list[str], blender: str | None = None) -> list[str]:
    if blender:
        if shutil.which(blender) is None:
            raise UserError(f"--blender {blender}: no such executable (give the path to Blender 4.5's `blender`)")
        return [blender, "-b", "--factory-startup", "--python-exit-code", "1", "-P", str(ENTRY_SCRIPT), "--", *args]
    if importlib.util.find_spec("bpy") is None:
        raise UserError("the bpy module is not installed in this Python: run `make install`, or pass --blender PATH")
    return [sys.executable, str(ENTRY_SCRIPT), *args]


def check_renderer(blender: str | None, device: str) -> None:
    """Refuse, before a run writes anything, a Blender that is not there or a GPU backend this
    machine lacks (asks Blender itself: a few seconds, only when a GPU backend is named)."""
    cmd = blender_command(["--check-device", "--device", device], blender)
    if device in ("cpu", "auto"):  # auto falls back to the CPU: nothing to refuse
        return
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=300)
    except subprocess.TimeoutExpired:
        raise UserError(f"--device {device}: Blender did not say within 300 s whether it has such a device") from None
    events = [e for e in map(_parse_event, res.stdout.splitlines()) if e is not None]
    fatal = [e["message"] for e in events if e["event"] == "fatal"]
    if fatal:
        raise UserError(fatal[0])
    if not any(e["event"] == "ready" for e in events):
        tail = " | ".join((res.stdout + res.stderr).strip().splitlines()[-3:])
        raise UserError(f"Blender did not start (exit code {res.returncode}): {tail}")


def _parse_event(line: str) -> dict | None:
    """A progress event, or None for ordinary output (including a garbled event line)."""
    if not line.startswith(EVENT_PREFIX):
        return None
    try:
        event = json.loads(line[len(EVENT_PREFIX):])
    except json.JSONDecodeError:
        return None
    return event if isinstance(event, dict) and "event" in event else None


def run_batch(frame_dirs: list[Path], log_path: Path, on_event: Callable[[dict], None],
              blender: str | None = None, threads: int = 0, device: str = "cpu",
              cpus: list[int] | None = None) -> None:
    """Render the frames; raises RenderError (with the log's tail) if Blender fails, UserError if
    the asked device is absent. cpus (Linux): the cores Blender may run on."""
    list_file = log_path.with_suffix(".frames.txt")
    list_file.write_text("".join(f"{d}\n" for d in frame_dirs), encoding="utf-8")
    cmd = blender_command(["--frames-file", str(list_file), "--threads", str(threads), "--device", device], blender)
    tail: list[str] = []
    fatal = None
    with open(log_path, "a", encoding="utf-8") as log:
        log.write("$ " + " ".join(cmd) + "\n")
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                                preexec_fn=_linux_child_setup(cpus) if sys.platform == "linux" else None)
        try:
            for line in proc.stdout:
                log.write(line)
                event = _parse_event(line)
                if event is None:
                    tail = (tail + [line.rstrip()])[-15:]
                    continue
                if event["event"] == "fatal":
                    fatal = event["message"]
                on_event(event)
        except BaseException:  # Ctrl-C, an error in on_event: Blender does not live on
            proc.kill()
            proc.wait()
            raise
        code = proc.wait()
    if fatal:
        raise UserError(fatal)
    if code != 0:
        how = f"was killed by {_signal_name(-code)}" if code < 0 else f"exited with code {code}"
        raise RenderError(f"Blender {how}; see {log_path}. Last lines:\n" + "\n".join(tail))
