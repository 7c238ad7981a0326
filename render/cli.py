"""The `defectsynth` command line."""

import errno
import logging
import math
import re
import sys
from pathlib import Path

import click

from render.errors import RunFailed, UserError
from render.files import DISK_FULL
from render.spec import DEVICES


def _fail(message: str, code: int):
    for line in message.splitlines():
        click.echo(f"error: {line}", err=True)
    sys.exit(code)


class _Group(click.Group):
    """Turns what the user can act on into `error:` lines on stderr, without a traceback: bad input
    (UserError, a bad flag value) exits 2, a run that failed (RunFailed, a full disk) exits 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.UsageError as e:  # click's own flag checks: one line too, not a usage block
            _fail(f"{e.format_message()} (see --help)", 2)
        except UserError as e:
            _fail(str(e), 2)
        except RunFailed as e:
            _fail(str(e), 1)
        except OSError as e:
            if e.errno in DISK_FULL:
                what = "file too large (a file size limit)" if e.errno == errno.EFBIG else "no space left on device"
                _fail(f"{what} while writing {e.filename or 'a temporary file'}", 1)
            if e.filename is None:  # not about a file the user can look at: a bug, keep the traceback
                raise
            _fail(f"{e.filename}: {e.strerror}", 1)


def _seed(ctx, param, value):
    """Seeds feed numpy's SeedSequence, which takes no negative numbers."""
    if value is not None and value < 0:
        raise UserError(f"{param.opts[0]} must be 0 or more, got {value}")
    return value


def _factor(ctx, param, value):
    if not (math.isfinite(value) and value > 0):
        raise UserError(f"{param.opts[0]} must be a positive number, got {value}")
    return value


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
def main(verbose: bool) -> None:
    """Synthetic training data for industrial defect instance segmentation.

    Renders parts with procedural defects in Blender (Cycles) and writes pixel-exact instance
    masks as a COCO split (<out>/<scene>/train/_annotations.coco.json + images).

    \b
    Examples:
      defectsynth render --scene scenes/magnetic_tile.yaml --n 24 --out out
      defectsynth report out/magnetic_tile/train --reference real/train --out report.html
    """
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(message)s")


def _resolution(value: str | None):
    if value is None:
        return None
    m = re.fullmatch(r"(\d+)[xX](\d+)", value.strip())
    if not m:
        raise UserError(f"--resolution must look like 512x512 (width x height), got '{value}'")
    return int(m.group(1)), int(m.group(2))


@main.command()
@click.option("--scene", "scene_path", type=click.Path(path_type=Path), default=None,
              help="Scene recipe (YAML). Default: the built-in scenes/metal_parts.yaml.")
@click.option("--n", "n", type=int, default=20, show_default=True, help="Number of frames (images) to render.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("out"), show_default=True,
              help="Output directory; the split goes to <out>/<scene name>/train.")
@click.option("--seed", type=int, default=0, show_default=True, callback=_seed,
              help="Root seed: the same seed gives the same dataset.")
@click.option("--quality", default="preview", show_default=True,
              help="Quality preset: preview, final, or a path to a preset YAML.")
@click.option("--resolution", default=None, help="Override the preset's resolution, e.g. 1024x768.")
@click.option("--samples", type=int, default=None, help="Override the preset's Cycles samples per pixel.")
@click.option("--blender", default=None, help="Render with this Blender binary instead of the bpy module.")
@click.option("--workers", type=int, default=0, show_default=True,
              help="Local render workers, each with its own Blender (0 = chosen from the core count; 1 = no "
                   "cluster). Ignored with --scheduler.")
@click.option("--threads", type=int, default=0, show_default=True,
              help="Cycles threads per worker (0 = cores / workers here, all cores on a remote worker).")
@click.option("--scheduler", default=None,
              help="Use a running Dask cluster, e.g. tcp://host:8786 or tls://host:8786 (workers need "
                   "defectsynth installed and --out on a shared file system).")
@click.option("--device", type=click.Choice(DEVICES), default="cpu", show_default=True,
              help="Cycles device; auto picks the best GPU backend with a device, else the CPU.")
@click.option("--retries", type=int, default=2, show_default=True,
              help="Tries more for a frame that crashes Blender before it is reported as failed.")
@click.option("--shard", default=None,
              help="i/k: render only frames i, i+k, i+2k, ... (no split is written); gather every shard's "
                   "frames/ in one place and run again without --shard to assemble.")
@click.option("--prepare-only", is_flag=True,
              help="Write the frame specs and meshes and <out>/<scene>/frames.txt for render nodes "
                   "(blender -b ... -- --frames-file frames.txt); render nothing.")
@click.option("--report", "report_path", type=click.Path(path_type=Path), default=None,
              help="At the end, write the split's HTML report here (as `defectsynth report`).")
@click.option("--report-reference", type=click.Path(path_type=Path), default=None,
              help="The real split the report compares with (needs --report).")
def render(scene_path, n, out, seed, quality, resolution, samples, blender, workers, threads, scheduler, device,
           retries, shard, prepare_only, report_path, report_reference):
    """Render N frames of a scene into a COCO instance segmentation split.

    Frames already rendered from the same spec are kept, so an interrupted run continues where
    it stopped when started again with the same arguments. Frames run on a local Dask cluster
    (or --scheduler); the dataset's bytes do not depend on how many workers rendered it.

    \b
    Example: defectsynth render --scene scenes/metal_parts.yaml --n 100 --out out --quality preview
    """
    from render.cluster import Workers
    from render.config import DEFAULT_SCENE, load_quality, load_scene
    from render.pipeline import parse_shard, render_dataset

    if n < 1:
        raise UserError(f"--n must be at least 1, got {n}")
    if workers < 0 or threads < 0 or retries < 0:
        raise UserError("--workers, --threads and --retries must be 0 or more")
    shard_ik = parse_shard(shard)
    _check_report_args(report_path, report_reference, whole_run=shard is None and not prepare_only)
    recipe = load_scene(scene_path or DEFAULT_SCENE)
    # an override's error names what set it: the flag, or the recipe's camera.resolution
    origins = {"samples": "--samples",
               "resolution": "--resolution" if resolution else f"{scene_path or DEFAULT_SCENE}: camera.resolution"}
    preset = load_quality(quality, origins, resolution=_resolution(resolution) or recipe.camera.resolution,
                          samples=samples)
    pool = Workers(scheduler=scheduler, workers=workers, threads=threads, retries=retries, device=device)
    split, report = render_dataset(recipe, preset, n, out, seed, blender=blender, workers=pool, shard=shard_ik,
                                   prepare_only=prepare_only)
    root = Path(out) / recipe.name
    if prepare_only:
        click.echo(f"{report.frames} frames prepared in {root / 'frames'}; the ones to render are listed in "
                   f"{root}/frames{'' if shard is None else '_' + shard.replace('/', 'of')}.txt")
        return
    if split is None:
        click.echo(f"shard {shard}: {report.frames} frames ready ({report.rendered} rendered now) in {root / 'frames'}")
        return
    r = report.to_dict()
    kept = sum(r["instances"].values())
    click.echo(f"wrote {split} : {n} images, {kept} instances {r['instances']}, dropped {r['dropped']}")
    if report_path:
        from render.dataset.report import write_report

        click.echo(f"wrote {write_report(split, report_path, report_reference)}")


def _check_report_args(report_path, reference, whole_run: bool = True) -> None:
    """Before any work: a report needs a whole run, a writable place and a reference that is a split."""
    from render.dataset.validate import require_valid

    if reference is not None and report_path is None:
        raise UserError("--report-reference needs --report")
    if report_path is None:
        return
    if not whole_run:
        raise UserError("--report needs a whole run: --shard and --prepare-only write no split")
    if not Path(report_path).parent.is_dir():
        raise UserError(f"--report: directory {Path(report_path).parent} does not exist")
    if reference is not None:
        require_valid(reference, "--reference")


@main.command()
@click.argument("split_dir", type=click.Path(path_type=Path))
@click.option("--reference", type=click.Path(path_type=Path), default=None,
              help="The real train split this one replaces: categories must equal its own, images <= cap.")
@click.option("--max-factor", type=float, default=5.0, show_default=True, callback=_factor,
              help="Image cap as a multiple of the reference's image count.")
def validate(split_dir, reference, max_factor):
    """Check a COCO split as the training kit will read it; exit 1 on errors.

    Checks the JSON schema, unique ids, that files exist with the stated pixel sizes,
    categories (id 0 unused; equal to the reference's), polygons (>= 3 points, inside the
    image), RLE sizes, non-empty masks, bbox and area against the mask, and counts images
    without annotations (MMDetection drops them from training).

    \b
    Example: defectsynth validate final/train --reference real/train
    """
    from render.dataset.validate import validate_split

    rep = validate_split(split_dir, reference=reference, max_factor=max_factor)
    for e in rep.errors:
        click.echo(f"ERROR {e}")
    for w in rep.warnings:
        click.echo(f"WARNING {w}")
    click.echo(rep.summary())
    sys.exit(0 if rep.ok else 1)


@main.command("slice")
@click.argument("split_dir", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Directory of the tiled split.")
@click.option("--tile", type=int, default=1024, show_default=True, help="Tile side in pixels.")
@click.option("--overlap", type=float, default=0.2, show_default=True, help="Overlap between tiles, fraction.")
@click.option("--min-area", type=int, default=16, show_default=True, help="Drop fragments smaller than this (px).")
@click.option("--min-visible", type=float, default=0.3, show_default=True,
              help="Drop fragments holding less than this fraction of their instance.")
@click.option("--keep-empty", type=float, default=0.1, show_default=True,
              help="Fraction of tiles without any defect to keep (negatives).")
@click.option("--seed", type=int, default=0, show_default=True, callback=_seed,
              help="Seed for picking the kept negatives.")
@click.option("--annotation", type=click.Choice(["rle", "polygon"]), default="rle", show_default=True)
def slice_cmd(split_dir, out, tile, overlap, min_area, min_visible, keep_empty, seed, annotation):
    """Cut every image of a COCO split into tiles and clip every instance to each tile.

    Works on rendered and real splits (polygons or RLE). Tiles are named
    <image>__x<X>_y<Y>.png and record their source image and offset.

    \b
    Example: defectsynth slice out/metal_parts/train --out out/tiles/train --tile 1024 --overlap 0.2
    """
    from render.dataset.slicing import slice_split

    rep = slice_split(split_dir, out, tile, overlap, min_area, min_visible, keep_empty, seed, annotation)
    click.echo(f"wrote {out}: {rep.tiles} tiles from {rep.images} images ({rep.empty_tiles_kept} without defects), "
               f"{rep.fragments} instances, dropped {dict(rep.dropped)}")


@main.command()
@click.option("--reference", type=click.Path(path_type=Path), required=True,
              help="The real train split: its categories are copied verbatim; it sets the image cap.")
@click.option("--synthetic", type=click.Path(path_type=Path), multiple=True, required=True,
              help="A synthetic split to include (repeat the option for several).")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Directory of the final split.")
@click.option("--include-real", is_flag=True, help="Also include the reference's own images.")
@click.option("--max-factor", type=float, default=5.0, show_default=True, callback=_factor,
              help="At most this many times the reference's image count.")
@click.option("--sample", "sample_seed", type=int, default=None, callback=_seed,
              help="Over the cap, keep a random subset of the synthetic images drawn with this seed.")
@click.option("--mapping", type=click.Path(path_type=Path), default=None,
              help="YAML of 'synthetic name: reference name' lines for categories whose names differ.")
@click.option("--copy", "copy_files", is_flag=True, help="Copy images instead of hard-linking them.")
def compose(reference, synthetic, out, include_real, max_factor, sample_seed, mapping, copy_files):
    """Write the final train split that replaces the real one.

    Categories are the reference's, id for id; synthetic categories are matched by name.
    Image and annotation ids are renumbered from 1. The result is validated against the
    reference before it is written.

    \b
    Example: defectsynth compose --reference real/train --synthetic out/tiles/train --out final/train --sample 0
    """
    from render.dataset.compose import compose as run

    rep = run(reference, list(synthetic), out, include_real, max_factor, sample_seed, mapping, not copy_files)
    click.echo(f"wrote {out}: {rep.real_images} real + {rep.synthetic_images} synthetic images "
               f"(cap {rep.cap}, {rep.synthetic_dropped} synthetic left out), {rep.annotations} annotations")


@main.command()
@click.argument("split_dir", type=click.Path(path_type=Path))
@click.option("--copy-paste", "method", flag_value="copy-paste", required=True,
              help="Paste real instances onto other real images (the baseline rendered data must beat).")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Directory of the new split.")
@click.option("--n", "n_images", type=int, required=True, help="Number of images to make.")
@click.option("--seed", type=int, default=0, show_default=True, callback=_seed)
@click.option("--per-image", type=(int, int), default=(1, 3), show_default=True, help="Pastes per image [min max].")
@click.option("--scale", type=(float, float), default=(0.7, 1.4), show_default=True, help="Paste scale range.")
@click.option("--max-factor", type=float, default=5.0, show_default=True, callback=_factor,
              help="At most this many times the source split's image count.")
def augment(split_dir, method, out, n_images, seed, per_image, scale, max_factor):
    """Make a split from a real train split by augmentation (--copy-paste).

    Instances cut from the real images are scaled, rotated, flipped and blended onto other
    real images; the masks are exact and the categories are the source's.

    \b
    Example: defectsynth augment real/train --copy-paste --out cp/train --n 600 --seed 0
    """
    from render.dataset.augment import copy_paste

    rep = copy_paste(split_dir, out, n_images, seed, per_image, scale, max_factor)
    click.echo(f"wrote {out}: {rep['images']} images, {rep['annotations']} instances from {rep['patches']} patches")


@main.command()
@click.argument("split_dir", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=Path("preview.png"), show_default=True)
@click.option("--n", type=click.IntRange(1, 400), default=24, show_default=True, help="Images on the sheet.")
@click.option("--cols", type=click.IntRange(1, 20), default=6, show_default=True)
@click.option("--side", type=click.IntRange(32, 2048), default=320, show_default=True, help="Cell size in px.")
@click.option("--with-originals", is_flag=True, help="Show each plain image beside its overlay.")
def preview(split_dir, out, n, cols, side, with_originals):
    """Contact sheet of a split: images with coloured masks, boxes and category labels.

    \b
    Example: defectsynth preview out/metal_parts/train --out sheet.png --n 24
    """
    from render.dataset.preview import overlay_split

    click.echo(f"wrote {overlay_split(split_dir, out, n, cols, side, with_originals)}")


@main.command()
@click.argument("split_dir", type=click.Path(path_type=Path))
@click.option("--json", "json_out", type=click.Path(path_type=Path), default=None, help="Also write the stats here.")
@click.option("--plot", type=click.Path(path_type=Path), default=None, help="Also plot the distributions (PNG).")
@click.option("--max-images", type=click.IntRange(1), default=None, help="Measure at most this many images (random).")
def stats(split_dir, json_out, plot, max_images):
    """Images, instances per category and per image, image sizes, brightness, contrast, noise and
    blur, and each category's mask area, aspect, orientation, position, border distance and contrast.

    \b
    Example: defectsynth stats final/train --json stats.json --plot stats.png
    """
    from render.dataset.measure import measure_split
    from render.dataset.stats import format_stats, plot_stats, summarize
    from render.dataset.validate import require_valid
    from render.files import check_output_file, write_atomic
    from render.spec import dumps

    for path, flag in ((json_out, "--json"), (plot, "--plot")):
        if path:
            check_output_file(path, flag)
    require_valid(split_dir)
    measured = measure_split(split_dir, max_images)
    s = summarize(measured)
    click.echo(format_stats(s))
    if json_out:
        write_atomic(json_out, dumps(s))
    if plot:
        plot_stats(measured, plot)


@main.command()
@click.argument("split_dir", type=click.Path(path_type=Path))
@click.option("--reference", type=click.Path(path_type=Path), default=None,
              help="The real split to compare with: histograms overlaid with distances, crops side by side.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("report.html"), show_default=True,
              help="The HTML file (self-contained: images embedded).")
@click.option("--max-images", type=click.IntRange(1), default=None,
              help="Measure at most this many images of each split (random; default all).")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True, help="Seed for --max-images.")
@click.option("--sheet", type=click.Path(path_type=Path), default=None,
              help="Also write the real vs synthetic crops as an image (JPEG or PNG; needs --reference).")
def report(split_dir, reference, out, max_images, seed, sheet):
    """One HTML page of a split: counts per category, instances per image, every image and mask
    statistic as a histogram, and a contact sheet per category. With --reference, every
    histogram real vs synthetic with its distance, and crops of each category side by side.

    \b
    Example: defectsynth report out/magnetic_tile/train --reference real/train --out report.html
    """
    import cv2

    from render.dataset.coco import write_image
    from render.dataset.report import crops_sheet, write_report
    from render.dataset.validate import require_valid
    from render.files import check_output_file

    _check_report_args(out, reference)
    if sheet is not None and reference is None:
        raise UserError("--sheet needs --reference")
    if sheet is not None:
        check_output_file(sheet, "--sheet")
    require_valid(split_dir)
    click.echo(f"wrote {write_report(split_dir, out, reference, max_images, seed)}")
    if sheet is not None:
        write_image(sheet, crops_sheet(reference, split_dir), [cv2.IMWRITE_JPEG_QUALITY, 85])
        click.echo(f"wrote {sheet}")


@main.command()
@click.option("--reference", type=click.Path(path_type=Path), required=True,
              help="The real train split to match (COCO: _annotations.coco.json + images).")
@click.option("--scene", "scene_path", type=click.Path(path_type=Path), required=True,
              help="The base recipe (its categories must be the reference's).")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="The fitted recipe (YAML) to write.")
@click.option("--report", type=click.Path(path_type=Path), default=None,
              help="Also write an HTML report: every statistic real vs before vs after, sample images.")
@click.option("--iterations", type=click.IntRange(1, 10), default=3, show_default=True,
              help="Render-measure-adjust rounds.")
@click.option("--frames", type=click.IntRange(4, 1000), default=24, show_default=True,
              help="Frames rendered per round.")
@click.option("--samples", type=click.IntRange(1), default=16, show_default=True, help="Cycles samples per frame.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True)
@click.option("--workers", type=click.IntRange(0), default=0, show_default=True,
              help="Local render workers (0 = from the core count).")
def fit(reference, scene_path, out, report, iterations, frames, samples, seed, workers):
    """Fit a recipe to a real split: image size, grey/colour, brightness, blur, noise, defects per
    image, category frequencies and each category's mask size in pixels.

    Example: defectsynth fit --reference real/train --scene scenes/magnetic_tile.yaml
    --out fitted.yaml --report fit.html
    """
    import tempfile

    from render.files import write_atomic
    from render.fit import fit_recipe, fit_report_html, write_recipe

    out, report = Path(out), Path(report) if report else None
    for p in (out, report):
        if p is not None and not p.parent.is_dir():
            raise UserError(f"--out/--report: directory {p.parent} does not exist")
    with tempfile.TemporaryDirectory(prefix="defectsynth-fit-") as tmp:
        result = fit_recipe(reference, scene_path, Path(tmp), iterations=iterations, frames=frames, seed=seed,
                            samples=samples, workers=workers, log=lambda m: click.echo(m, err=True))
        before, after = result.distances()
        click.echo(f"{'statistic':<28} {'before':>10} {'after':>10}")
        for k in before:
            click.echo(f"{k:<28} {before[k]:>10.4g} {after.get(k, float('nan')):>10.4g}")
        write_recipe(result, out, reference, scene_path)
        if report:
            write_atomic(report, fit_report_html(result, reference, scene_path))
    click.echo(f"wrote {out}" + (f" and {report}" if report else ""))


@main.command()
@click.option("--reference", type=click.Path(path_type=Path), required=True,
              help="The real train split: its photographs, categories, defect sizes, places and counts.")
@click.option("--scene", "scene_path", type=click.Path(path_type=Path), required=True,
              help="The recipe whose defect types, material and lights are rendered (fit it first).")
@click.option("--n", "n", type=click.IntRange(1), required=True, help="Images to write (at most 5x the reference's).")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="The split to write (a new directory).")
@click.option("--backgrounds", type=click.Path(path_type=Path), default=None,
              help="A directory of defect-free photographs to render into (default: the reference's images, "
                   "away from their defects). A defect too large for a local render takes a reference photograph "
                   "of its category instead, with its annotations.")
@click.option("--carry", multiple=True, metavar="CATEGORY",
              help="A category never rendered: its defects come from reference photographs that have it, "
                   "annotations kept (for a kind of defect the recipe's types do not draw as it looks; repeatable).")
@click.option("--transplant", multiple=True, metavar="CATEGORY",
              help="A category never rendered: its defects are real ones of the reference, flipped, scaled and "
                   "blended into the image's photograph (Poisson), their masks moved with them (for a kind of "
                   "defect the recipe's types do not draw as it looks; repeatable).")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True)
@click.option("--samples", type=click.IntRange(1), default=32, show_default=True, help="Cycles samples per view.")
@click.option("--workers", type=click.IntRange(0), default=0, show_default=True,
              help="Local render workers (0 = from the core count).")
def hybrid(reference, scene_path, n, out, backgrounds, carry, transplant, seed, samples, workers):
    """Render procedural defects into real photographs (differential rendering), with exact masks.

    Example: defectsynth hybrid --reference real/train --scene fitted.yaml --n 200 --out hybrid/train

    Real defects moved instead of rendered (one --transplant per category): defectsynth hybrid
    --reference real/train --scene fitted.yaml --n 40 --out tp/train --backgrounds free/
    --transplant crack --transplant fray
    """
    from render.config import load_quality, load_scene
    from render.hybrid import hybrid as run

    recipe = load_scene(scene_path)
    r = run(reference, recipe, n, out, seed=seed, backgrounds=backgrounds, carry=tuple(carry),
            transplant=tuple(transplant),
            quality=load_quality("preview", samples=samples), workers=workers, log=lambda m: click.echo(m, err=True))
    click.echo(f"wrote {out}: {r['images']} images, instances {r['instances']}, dropped {r['dropped']} "
               f"(too small or too faint once composited), not placed {r['unplaced']}, carried by reference "
               f"photographs {r['carried']}, transplanted {r['transplanted']}")


@main.command()
@click.option("--train", "train_splits", type=click.Path(path_type=Path), multiple=True, required=True,
              help="A train split (repeat for several: their union is trained on).")
@click.option("--val", "val_split", type=click.Path(path_type=Path), required=True,
              help="The real val split the detector is scored on (never trained on).")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Directory for metrics.json and overlays.")
@click.option("--model", type=click.Choice(["unet", "maskrcnn"]), default="unet", show_default=True,
              help="unet: the fast CPU proxy; maskrcnn: torchvision Mask R-CNN R50-FPN trained like the kit (GPU).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--iters", type=click.IntRange(1), default=None,
              help="Training iterations [default: unet 1500; maskrcnn 12000, as the kit trains].")
@click.option("--size", type=click.IntRange(16), default=None,
              help="unet: crop side [default 128]; maskrcnn: resize long side [default 1024, as the kit].")
@click.option("--weights", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A local weights file (state dict) to start from.")
def evaluate(train_splits, val_split, out, model, seed, iters, size, weights):
    """Train a detector on the train splits and score it on real val images (COCOeval segm + bbox).

    Writes metrics.json (AP, AP50, AP75, AP small/medium/large for segm and bbox) and a few
    prediction overlays. Needs PyTorch, which `make render` does not install: make eval-deps.

    \b
    Example: defectsynth evaluate --train real/train --train hybrid/train --val real/val --out eval/
    """
    from render.evaluate.runner import evaluate as run

    iters = iters or {"unet": 1500, "maskrcnn": 12000}[model]
    size = size or {"unet": 128, "maskrcnn": 1024}[model]
    r = run(list(train_splits), val_split, out, model, seed, iters, size, weights,
            log=lambda msg: click.echo(msg, err=True))
    click.echo(f"{model}: segm AP {r['segm']['AP']:.4f} AP50 {r['segm']['AP50']:.4f} | "
               f"bbox AP {r['bbox']['AP']:.4f} AP50 {r['bbox']['AP50']:.4f}  ({r['total_s']:.0f} s) -> {out}")


if __name__ == "__main__":
    main()
