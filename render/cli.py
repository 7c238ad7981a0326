"""The `defectsynth` command line."""

import logging
import re
import sys
from pathlib import Path

import click

from render.errors import UserError


class _Group(click.Group):
    """Turns a UserError anywhere below into one line on stderr and exit code 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UserError as e:
            for line in str(e).splitlines():
                click.echo(f"error: {line}", err=True)
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
def main(verbose: bool) -> None:
    """Synthetic training data for industrial defect instance segmentation.

    Renders parts with procedural defects in Blender (Cycles) and writes pixel-exact instance
    masks as a COCO split (<out>/<scene>/train/_annotations.coco.json + images).
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
@click.option("--seed", type=int, default=0, show_default=True, help="Root seed: the same seed gives the same dataset.")
@click.option("--quality", default="preview", show_default=True,
              help="Quality preset: preview, final, or a path to a preset YAML.")
@click.option("--resolution", default=None, help="Override the preset's resolution, e.g. 1024x768.")
@click.option("--samples", type=int, default=None, help="Override the preset's Cycles samples per pixel.")
@click.option("--blender", default=None, help="Render with this Blender binary instead of the bpy module.")
@click.option("--threads", type=int, default=0, show_default=True, help="Cycles threads (0 = all cores).")
def render(scene_path, n, out, seed, quality, resolution, samples, blender, threads):
    """Render N frames of a scene into a COCO instance segmentation split."""
    from render.config import DEFAULT_SCENE, load_quality, load_scene
    from render.pipeline import check_written_split, render_dataset

    if n < 1:
        raise UserError(f"--n must be at least 1, got {n}")
    recipe = load_scene(scene_path or DEFAULT_SCENE)
    preset = load_quality(quality, resolution=_resolution(resolution), samples=samples)
    split, report = render_dataset(recipe, preset, n, out, seed, blender=blender, threads=threads)
    check_written_split(split)
    r = report.to_dict()
    kept = sum(r["instances"].values())
    click.echo(f"wrote {split} : {n} images, {kept} instances {r['instances']}, dropped {r['dropped']}")


@main.command()
@click.argument("split_dir", type=click.Path(path_type=Path))
def validate(split_dir):
    """Check a COCO split as the training kit will read it; exit 1 on errors."""
    from render.validate import validate_split

    rep = validate_split(split_dir)
    for e in rep.errors:
        click.echo(f"ERROR {e}")
    for w in rep.warnings:
        click.echo(f"WARNING {w}")
    click.echo(rep.summary())
    sys.exit(0 if rep.ok else 1)


if __name__ == "__main__":
    main()
