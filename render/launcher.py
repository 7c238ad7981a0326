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
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from render.config import PROJECT_ROOT
from render.errors import UserError

ENTRY_SCRIPT = PROJECT_ROOT / "blender_scripts" / "render_frames.py"
EVENT_PREFIX = "DEFECTSYNTH "


DEVICES = ("auto", "cpu", "cuda", "optix", "hip", "oneapi", "metal")


class RenderError(RuntimeError):
    pass


def _linux_child_setup(cpus: list[int] | None) -> Callable[[], None]:
    def setup() -> None:
        # Blender gets SIGKILL when the process that started it dies (no orphan renders)
        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:
            pass
        if cpus:
            os.sched_setaffinity(0, cpus)

    return setup


def blender_command(args: list[str], blender: str | None = None) -> list[str]:
    if blender:
        return [blender, "-b", "--factory-startup", "--python-exit-code", "1", "-P", str(ENTRY_SCRIPT), "--", *args]
    if importlib.util.find_spec("bpy") is None:
        raise UserError("the bpy module is not installed in this Python: run `make install`, or pass --blender PATH")
    return [sys.executable, str(ENTRY_SCRIPT), *args]


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
        for line in proc.stdout:
            log.write(line)
            if line.startswith(EVENT_PREFIX):
                event = json.loads(line[len(EVENT_PREFIX):])
                if event["event"] == "fatal":
                    fatal = event["message"]
                on_event(event)
            else:
                tail = (tail + [line.rstrip()])[-15:]
        code = proc.wait()
    if fatal:
        raise UserError(fatal)
    if code != 0:
        how = f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"
        raise RenderError(f"Blender {how}; see {log_path}. Last lines:\n" + "\n".join(tail))
