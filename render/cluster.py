"""Runs the frames of a render on workers: a local Dask cluster, a running scheduler, or inline.

The unit of work is a batch of frame specs. A worker prepares each frame directory (spec.json,
mesh.npz, render.frames), starts one Blender process for the whole batch (render.launcher) and
reports each finished frame. Workers receive frame specs (data) and paths, never code: the task
function and the spec classes are imported by name from the defectsynth package installed on
the worker, and the output directory must be one that every worker sees (a shared file system
on a cluster).

Failures: a Blender crash costs only the frame that was rendering. Frames finished before it
are kept (their manifests are written), the ones after it go back to the queue, and the culprit
is tried again alone, at most `retries` more times, then reported as failed. A worker that dies
is Dask's to reschedule; when Dask gives up on the task (KilledWorker), the batch's unfinished
frames are retried one by one the same way.
"""

import logging
import math
import os
import time
import warnings
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from render import launcher
from render.errors import UserError
from render.frames import frame_dir, is_rendered, prepare_frame
from render.spec import MESH_FILE, FrameSpec

PROGRESS_TOPIC = "defectsynth-progress"
PIN_ENV = "DEFECTSYNTH_PIN_CPUS"  # set on the workers of a local cluster
_local_progress = None  # the client's progress callback, for tasks run in this process


@dataclass
class Workers:
    """Where batches run. scheduler=None: a local cluster of `workers` processes (1 = inline)."""

    scheduler: str | None = None
    workers: int = 0  # 0: chosen from the core count
    threads: int = 0  # Cycles threads per worker; 0: cores / workers (local), all cores (remote)
    retries: int = 2
    device: str = "cpu"


def plan_local(cores: int, workers: int = 0, threads: int = 0) -> tuple[int, int]:
    """(workers, Cycles threads each) for this machine.

    Cycles scales well with threads inside one frame, but each frame also has serial work (scene
    sync, denoise set-up, mesh loading, PNG writing), so several narrower workers keep more cores
    busy: 1 thread each up to 3 cores, then ~sqrt(cores) threads each (16 cores: 4 x 4).
    """
    if threads <= 0:
        threads = cores // workers if workers > 0 else (1 if cores < 4 else round(math.sqrt(cores)))
    threads = max(1, threads)
    if workers <= 0:
        workers = max(1, cores // threads)
    return workers, threads


def _publish(msg: dict) -> None:
    try:
        from distributed import get_worker

        get_worker().log_event(PROGRESS_TOPIC, msg)
    except (ImportError, ValueError):  # not on a Dask worker: this process runs the task itself
        if _local_progress is not None:
            _local_progress(msg)


def _local_worker_cpus(threads: int) -> list[int] | None:
    """The cores of this local-cluster worker (named 0, 1, ...): worker k gets the k-th block of
    `threads` cores. Pinned, each Blender's helper pools (OpenImageDenoise, TBB) size themselves to
    its own cores instead of all of them, so workers do not slow each other down."""
    try:
        from distributed import get_worker

        k = get_worker().name
    except (ImportError, ValueError):
        return None
    if not (isinstance(k, int) and threads > 0 and hasattr(os, "sched_getaffinity") and os.environ.get(PIN_ENV)):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    block = cpus[k * threads:(k + 1) * threads]
    return block if len(block) == threads else None


def render_batch(root: str, specs: list[FrameSpec], log_name: str, blender: str | None, threads: int,
                 device: str) -> dict:
    """The worker's task: prepare and render frames; a Blender crash is returned, not raised."""
    root_dir = Path(root)
    (root_dir / "logs").mkdir(parents=True, exist_ok=True)
    todo, skipped = [], []
    t0 = time.perf_counter()
    for spec in specs:
        d = frame_dir(root_dir, spec.frame_index)
        if prepare_frame(d, spec):
            todo.append(d)
        else:
            skipped.append(spec.frame_index)
    if skipped:
        _publish({"frames": skipped})
    done: dict[int, float] = {}
    result = {"done": done, "skipped": skipped, "error": None, "max_rss_mb": 0.0,
              "prepare_s": time.perf_counter() - t0, "started": False}

    def on_event(ev: dict) -> None:
        if ev["event"] == "ready":
            result["started"] = True
        elif ev["event"] == "done":
            (Path(ev["frame"]) / MESH_FILE).unlink(missing_ok=True)
            index = int(Path(ev["frame"]).name)
            done[index] = ev["timing_s"]["render_image"] + ev["timing_s"]["render_ids"]
            _publish({"frames": [index]})
        elif ev["event"] == "finished":
            result["max_rss_mb"] = ev["max_rss_mb"]

    if todo:
        try:
            launcher.run_batch(todo, root_dir / "logs" / log_name, on_event, blender=blender, threads=threads,
                               device=device, cpus=_local_worker_cpus(threads))
        except launcher.RenderError as e:
            result["error"] = str(e)
    return result


def _quiet_dask() -> None:
    """Dask logs every worker start and stop at INFO; show its warnings only, unless -v."""
    if logging.getLogger().level > logging.DEBUG:
        logging.getLogger("distributed").setLevel(logging.WARNING)
    # the local scheduler's health endpoint (127.0.0.1) takes another port when 8787 is taken
    warnings.filterwarnings("ignore", message="Port 8787 is already in use", category=UserWarning)


@contextmanager
def _executor(w: Workers):
    """(executor, parallel slots, Cycles threads per worker, subscribe(progress callback))."""
    global _local_progress
    if w.scheduler is None:
        n, threads = plan_local(os.cpu_count() or 1, w.workers, w.threads)
        if n == 1:  # one worker needs no cluster: run the batches from a thread of this process
            pool = ThreadPoolExecutor(1)

            def subscribe(cb):
                global _local_progress
                _local_progress = cb
            try:
                yield pool, 1, threads, subscribe
            finally:  # on an error or Ctrl-C, queued batches are dropped, not rendered
                pool.shutdown(wait=True, cancel_futures=True)
                _local_progress = None
            return
        from distributed import Client, LocalCluster

        _quiet_dask()
        # 127.0.0.1 only, no dashboard: nothing listens beyond this machine
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None, silence_logs=logging.ERROR,
                          env={PIN_ENV: "1"}) as cluster, Client(cluster) as client:
            yield client.get_executor(), n, threads, lambda cb: client.subscribe_topic(PROGRESS_TOPIC,
                                                                                         lambda ev: cb(ev[1]))
        return
    from distributed import Client

    _quiet_dask()
    try:
        client = Client(w.scheduler, timeout=30)
    except (OSError, ValueError, TimeoutError) as e:
        raise UserError(f"cannot reach the Dask scheduler at {w.scheduler} ({e}); is it running, and is the "
                        "address like tcp://host:8786?") from None
    with client:
        # one Blender per worker at a time is what the batches are cut for (start workers with
        # --nthreads 1 and give the cores to --threads)
        slots = len(client.scheduler_info()["workers"]) or 1
        yield client.get_executor(), slots, w.threads, lambda cb: client.subscribe_topic(PROGRESS_TOPIC,
                                                                                 lambda ev: cb(ev[1]))


@dataclass
class RunOutcome:
    rendered: int
    cycles_s: float
    prepare_s: float  # specs and meshes written by the workers
    failed: dict  # frame index -> last error
    max_blender_rss_mb: float
    wall_s: float
    workers_threads: tuple[int, int] | None


def batch_bounds(n: int, batch_size: int, slots: int) -> list[tuple[int, int]]:
    """Contiguous [start, stop) batches of at most batch_size frames, as many as a multiple of the
    worker slots and of equal size (to a frame), so that no worker is left alone with the last batch
    while the others idle."""
    if n <= 0:
        return []
    count = slots * math.ceil(n / (slots * batch_size))
    edges = [i * n // count for i in range(count + 1)]
    return [(a, b) for a, b in zip(edges, edges[1:], strict=False) if b > a]


def run_frames(root: Path, specs: list[FrameSpec], batch_size: int, w: Workers, blender: str | None = None,
               desc: str = "render") -> RunOutcome:
    """Render every spec's frame (skipping finished ones); returns counts and the failed frames."""
    from distributed import KilledWorker

    t0 = time.perf_counter()
    attempts: Counter = Counter()
    failed: dict[int, str] = {}
    rendered, cycles_s, prepare_s, rss = 0, 0.0, 0.0, 0.0
    with _executor(w) as (pool, slots, threads, subscribe), tqdm(total=len(specs), desc=desc, unit="frame") as bar:
        counted: set[int] = set()

        def count(frames) -> None:  # a rescheduled batch reports its frames again: count each once
            new = set(frames) - counted
            counted.update(new)
            bar.update(len(new))

        subscribe(lambda msg: count(msg["frames"]))
        pending: dict[Future, list[dict]] = {}

        def submit(batch: list[dict]) -> None:
            first = batch[0].frame_index
            log = f"batch_{first:06d}_{len(batch)}_try{attempts[first] + 1}.log"
            task = pool.submit(render_batch, str(Path(root).resolve()), batch, log, blender, threads, w.device)
            pending[task] = batch

        for start, stop in batch_bounds(len(specs), batch_size, slots):
            submit(specs[start:stop])
        while pending:
            finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for fut in finished:
                batch = pending.pop(fut)
                try:
                    res = fut.result()
                except KilledWorker as e:
                    res = {"done": {}, "skipped": [], "error": f"the worker died ({e})", "max_rss_mb": 0.0,
                           "prepare_s": 0.0, "killed": True}
                rendered += len(res["done"])
                cycles_s += sum(res["done"].values())
                prepare_s += res["prepare_s"]
                rss = max(rss, res["max_rss_mb"])
                if not res["error"]:
                    continue
                if not res.get("killed") and not res["started"]:  # no frame can render: stop at once
                    raise UserError(f"Blender did not start: {res['error']}")
                left = [s for s in batch if s.frame_index not in res["done"]
                        and s.frame_index not in res["skipped"] and not is_rendered(root, s.frame_index)]
                # the first unfinished frame is the one Blender died on; with a dead worker we
                # cannot tell, so each unfinished frame counts as a suspect
                suspects = left if res.get("killed") else left[:1]
                for s in suspects:
                    attempts[s.frame_index] += 1
                    if attempts[s.frame_index] > w.retries:
                        failed[s.frame_index] = res["error"]
                        bar.set_postfix(failed=len(failed))
                        count([s.frame_index])
                    else:
                        submit([s])
                rest = [s for s in left if s not in suspects]
                if rest:
                    submit(rest)
        time.sleep(0.2)  # let the last progress events arrive before the bar closes
    return RunOutcome(rendered, cycles_s, prepare_s, failed, rss, time.perf_counter() - t0,
                      plan_local(os.cpu_count() or 1, w.workers, w.threads) if w.scheduler is None else None)
