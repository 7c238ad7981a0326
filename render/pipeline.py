"""A whole render run: specs -> meshes -> Blender -> masks -> COCO split.

Layout under <out>/<scene name>/:
  frames/000001/   spec.json, mesh.npz (until rendered), rgb.png, ids.exr, manifest.json
  train/           _annotations.coco.json + 000001.png ... (the dataset)
  logs/            Blender's output per batch
  report.json      counts: frames, instances kept, instances dropped and why, timings
A frame whose manifest exists, whose spec is unchanged and whose files match the sizes and
checksums in its manifest is not rendered again. The split is assembled in train.partial/,
validated there and only then renamed into place, so it is never half-written or invalid. One
run at a time per <out>/<scene name>: the run holds an exclusive lock on <out>/<scene name>/.lock.
Everything that can refuse a run (recipe, flags, output path, Blender, device) is checked before
the first file is written.
"""

import os
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import cv2
from filelock import FileLock, Timeout
from tqdm import tqdm

from render import launcher
from render.cluster import Workers, run_frames
from render.config import QualityPreset, SceneRecipe
from render.dataset.coco import CocoWriter, categories_from_names, encode_instance, write_image
from render.dataset.validate import validate_split
from render.errors import RunFailed, UserError
from render.files import building, inside, plain_name, write_atomic
from render.frames import frame_dir, frame_name, is_rendered, prepare_frame
from render.postprocess import compute_instances
from render.sampling.frame import sample_frame_spec
from render.sensor import apply_noise, apply_optics
from render.spec import MANIFEST_FILE, FrameSpec, dumps


@dataclass
class RunReport:
    frames: int = 0
    rendered: int = 0
    images_with_defects: int = 0
    instances: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)
    timing_s: dict = field(default_factory=dict)
    failed: dict = field(default_factory=dict)  # frame name -> last error
    max_blender_rss_mb: float = 0.0
    max_rss_mb: float = 0.0  # this process
    workers: int | None = None
    threads_per_worker: int | None = None

    def to_dict(self) -> dict:
        return {"frames": self.frames, "rendered": self.rendered, "images_with_defects": self.images_with_defects,
                "instances": dict(self.instances), "dropped": dict(self.dropped), "failed": self.failed,
                "workers": self.workers, "threads_per_worker": self.threads_per_worker,
                "max_blender_rss_mb": self.max_blender_rss_mb, "max_rss_mb": self.max_rss_mb, "timing_s": self.timing_s}


class FramesFailed(RunFailed):
    """Some frames failed after their retries; the others are kept and nothing is assembled."""

    def __init__(self, root: Path, report: RunReport):
        self.report = report
        names = ", ".join(list(report.failed)[:20]) + (" ..." if len(report.failed) > 20 else "")
        super().__init__(f"{len(report.failed)} of {report.frames} frames failed after their retries: {names}. "
                         f"The other frames are kept in {root / 'frames'}; see {root / 'report.json'} and the "
                         f"logs in {root / 'logs'}, then run the same command again to retry only these.")


def peak_rss_mb() -> float:
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def check_output_dir(out: Path, name: str) -> Path:
    """<out>/<name>, once it is sure to lie inside a writable --out and not to be a file."""
    if out.exists() and not out.is_dir():
        raise UserError(f"output path is a file, not a directory: {out}")
    probe = out
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise UserError(f"output directory is not writable: {probe}")
    root = inside(out, plain_name(name, "the recipe's name"))
    if root.exists() and not root.is_dir():
        raise UserError(f"{root} is a file, not a directory: the run writes its frames and split there; "
                        "move it or choose another --out")
    return root


@contextmanager
def output_lock(root: Path):
    """Hold <root>/.lock for the run: two runs into one <out>/<name> would mix their splits."""
    root.mkdir(parents=True, exist_ok=True)
    lock = FileLock(root / ".lock", timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise UserError(f"{root} is being written by another defectsynth run (it holds {root / '.lock'}); "
                        "wait for it to finish or choose another --out") from None
    try:
        yield
    finally:
        lock.release()


def render_frames(root: Path, specs: list[FrameSpec], quality: QualityPreset, report: RunReport,
                  blender: str | None, workers: Workers) -> None:
    out = run_frames(root, specs, quality.batch_size, workers, blender=blender)
    report.rendered += out.rendered
    report.failed.update({frame_name(i): err for i, err in sorted(out.failed.items())})
    report.timing_s.update({"render_frames": out.wall_s, "cycles": out.cycles_s, "prepare": out.prepare_s})
    report.max_blender_rss_mb = out.max_blender_rss_mb
    if out.workers_threads:
        report.workers, report.threads_per_worker = out.workers_threads


def assemble_split(root: Path, recipe: SceneRecipe, specs: list[FrameSpec], quality: QualityPreset,
                   report: RunReport, info: dict) -> Path:
    """Build the split in train.partial/ and validate it there: the previous train/ is replaced
    only by a split that passes, and kept when anything fails (RunFailed, a full disk)."""
    with building(root / "train") as tmp:
        _write_split(tmp, root, recipe, specs, quality, report, info)
        check = validate_split(tmp)
        if not check.ok:  # a bug: say so, keep the previous split
            raise RunFailed(f"the assembled split fails validation ({check.summary()}), so {root / 'train'} "
                            f"was left as it was; first problem: {check.errors[0]}")
    return root / "train"


def _write_split(tmp: Path, root: Path, recipe: SceneRecipe, specs: list[FrameSpec], quality: QualityPreset,
                 report: RunReport, info: dict) -> None:
    coco = CocoWriter(tmp, categories_from_names(recipe.categories), info)
    for spec in tqdm(specs, desc="annotate", unit="frame"):
        name = frame_name(spec.frame_index)
        directory = frame_dir(root, spec.frame_index)
        image = cv2.imread(str(directory / "rgb.png"))
        if image is None:
            raise _damaged(directory, "rgb.png does not decode")
        mono = spec.camera.grayscale
        if mono:  # a mono camera: grey in all three channels
            image = cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
        image = apply_optics(image, spec.sensor)
        # visibility is judged before noise, which would otherwise pass for contrast
        try:
            instances, dropped = compute_instances(directory, image, quality.min_area, quality.min_contrast)
        except Exception as e:  # noqa: BLE001 - OpenEXR raises RuntimeError, IndexError... on a damaged file
            raise _damaged(directory, f"ids.exr does not read ({type(e).__name__}: {e})") from e
        report.dropped.update(dropped)
        image = apply_noise(image, spec.sensor, mono)
        h, w = image.shape[:2]
        file_name = f"{name}.png"
        # re-encoded, not copied: Blender's PNG carries render times, and the same spec must
        # give the same bytes
        write_image(tmp / file_name, image, [cv2.IMWRITE_PNG_COMPRESSION, 3])
        image_id = coco.add_image(file_name, w, h)
        for inst in instances:
            enc = encode_instance(inst.mask, quality.annotation)
            if enc is None:
                report.dropped["empty_polygon"] += 1
                continue
            coco.add_annotation(image_id, spec.categories[inst.category], *enc)
            report.instances[inst.category] += 1
        report.images_with_defects += bool(instances)
    coco.close()


def _damaged(directory: Path, what: str) -> RunFailed:
    """A frame whose checksums matched but whose files do not decode (Blender writes a file it could
    not finish, on a full disk, without an error): it loses its manifest, so the next run renders it."""
    (directory / MANIFEST_FILE).unlink(missing_ok=True)
    return RunFailed(f"{directory}: {what}; run the same command again to render the frame anew")


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """'i/k' (1 <= i <= k) -> (i, k)."""
    if text is None:
        return None
    try:
        i, k = (int(x) for x in text.split("/"))
    except ValueError:
        raise UserError(f"--shard must look like 2/8 (this shard / number of shards), got '{text}'") from None
    if not 1 <= i <= k:
        raise UserError(f"--shard {text}: need 1 <= i <= k")
    return i, k


def render_dataset(recipe: SceneRecipe, quality: QualityPreset, n: int, out: Path, seed: int,
                   blender: str | None = None, workers: Workers | None = None,
                   shard: tuple[int, int] | None = None, prepare_only: bool = False) -> tuple[Path | None, RunReport]:
    """Render frames 1..n and assemble the split.

    With shard (i, k) only frames whose index is i modulo k (1-based) are rendered and nothing
    is assembled; once every shard's frame directories sit in one <out>/<scene>/frames, a run
    without --shard renders nothing more and assembles the same split as a single run.
    prepare_only writes the frame directories (spec + mesh) and <root>/frames.txt for a render
    node's `blender -b -P blender_scripts/render_frames.py -- --frames-file`, and renders nothing.
    Raises FramesFailed (after writing report.json) when frames failed after their retries.
    """
    if n < 1:
        raise UserError(f"number of frames must be at least 1, got {n}")
    if seed < 0:
        raise UserError(f"--seed must be 0 or more, got {seed}")
    root = check_output_dir(Path(out), recipe.name)
    workers = workers or Workers()
    if not prepare_only and workers.scheduler is None:  # (a cluster's workers bring their own Blender)
        launcher.check_renderer(blender, workers.device)  # before anything is written
    with output_lock(root):
        return _render_locked(root, recipe, quality, n, seed, blender, workers, shard, prepare_only)


def _render_locked(root: Path, recipe: SceneRecipe, quality: QualityPreset, n: int, seed: int,
                   blender: str | None, workers: Workers, shard: tuple[int, int] | None,
                   prepare_only: bool) -> tuple[Path | None, RunReport]:
    t0 = time.perf_counter()
    specs = [sample_frame_spec(recipe, quality, seed, i) for i in range(1, n + 1)]
    if shard is not None:
        i, k = shard
        specs = [s for s in specs if (s.frame_index - 1) % k == i - 1]
    report = RunReport(frames=len(specs))
    if prepare_only:
        todo = [frame_dir(root, s.frame_index) for s in tqdm(specs, desc="prepare", unit="frame")
                if prepare_frame(frame_dir(root, s.frame_index), s)]
        list_name = "frames.txt" if shard is None else f"frames_{shard[0]}of{shard[1]}.txt"
        write_atomic(root / list_name, "".join(f"{d.resolve()}\n" for d in todo))
        return None, report
    render_frames(root, specs, quality, report, blender, workers)
    missing = [frame_name(s.frame_index) for s in specs
               if frame_name(s.frame_index) not in report.failed and not is_rendered(root, s.frame_index)]
    if missing:  # rendered somewhere this machine cannot see
        raise UserError(f"{len(missing)} frames were rendered but are not in {root / 'frames'} (e.g. {missing[0]}): "
                        "with --scheduler, --out must be on a file system that every worker shares")
    if report.failed:
        write_atomic(root / "report.json", dumps(report.to_dict()))
        raise FramesFailed(root, report)
    if shard is not None:
        return None, report
    t1 = time.perf_counter()
    info = {"description": f"defectsynth scene '{recipe.name}'", "root_seed": seed, "frames": n}
    split = assemble_split(root, recipe, specs, quality, report, info)
    report.timing_s.update({"render_total": t1 - t0, "annotate": time.perf_counter() - t1,
                            "wall": time.perf_counter() - t0})
    report.max_rss_mb = peak_rss_mb()
    write_atomic(root / "report.json", dumps(report.to_dict()))
    return split, report

