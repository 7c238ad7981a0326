"""A stand-in for a `blender` binary in the retry tests: renders with the bpy module through
blender_scripts/render_frames.py, as Blender would, but fails on the frames named in the
environment variable CRASH_FRAMES, e.g. "3,5:once,7:kill-parent-once":
N: abort on frame N every time; N:once: only the first time; N:kill-parent-once: kill the
process that started Blender (a Dask worker) the first time. With HOLD_UNTIL=path it waits
(at most 120 s) for that file to exist before it starts: a run that is surely still going.
"""

import importlib.util
import json
import os
import sys
import time
from pathlib import Path

ENTRY = Path(__file__).resolve().parent.parent / "blender_scripts" / "render_frames.py"


def crash_if_asked(frame_dir: str) -> None:
    with open(os.path.join(frame_dir, "spec.json"), encoding="utf-8") as f:
        index = json.load(f)["frame_index"]
    for item in filter(None, os.environ.get("CRASH_FRAMES", "").split(",")):
        number, _, mode = item.partition(":")
        if int(number) != index:
            continue
        marker = os.path.join(frame_dir, "crashed_once")
        if mode and os.path.exists(marker):
            return
        open(marker, "w").close()
        if mode == "kill-parent-once":
            os.kill(os.getppid(), 9)
            time.sleep(5)  # SIGKILL follows through PDEATHSIG
        os.abort()


def main() -> None:
    hold = os.environ.get("HOLD_UNTIL")
    deadline = time.time() + 120
    while hold and not os.path.exists(hold) and time.time() < deadline:
        time.sleep(0.1)
    spec = importlib.util.spec_from_file_location("render_frames", ENTRY)
    render_frames = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render_frames)
    render_frame = render_frames.FrameRenderer.render_frame

    def crashing(self, frame_dir):
        crash_if_asked(frame_dir)
        return render_frame(self, frame_dir)

    render_frames.FrameRenderer.render_frame = crashing
    render_frames.main()


if __name__ == "__main__":
    sys.exit(main())
