"""Where one frame's time goes: by stage and by scene ingredient, measured in this one run.

Renders frames of a recipe in this process (the bpy module, the scene code of
blender_scripts/render_frames.py) and times each stage by difference, each the median of
--repeats interleaved runs (these machines are noisy):
  scene update      the spec into Blender (mesh arrays, materials, camera, lights)
  sync + BVH        a 1-sample render of an 8x8 image right after a new mesh: scene export and BVH
  path tracing      the preset's samples without denoising, less the 1-sample 8x8 render
  denoising         with OpenImageDenoise less without
  id render         the 1-sample id pass (EXR)
  PNG write         saving the render result
  masks + COCO      render.postprocess on the frame (Python)
and by ingredient: the path-tracing time with one ingredient taken away (procedural textures,
the lights, the studio dome, the ground, glass, bounces above 1; the light tree is switched
to the other state), as a share of
the full frame's. The first render of a process (kernel load, shader compile) is printed apart.

    .venv/bin/python bench/render_profile.py [--recipe metal_parts] [--quality preview] [--frames 2] [--repeats 3]
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "blender_scripts"), str(ROOT)]

import bpy  # noqa: E402
import cv2  # noqa: E402
import render_frames  # noqa: E402
from dsblender import passes  # noqa: E402

from render.config import SCENES_DIR, load_quality, load_scene  # noqa: E402
from render.frames import frame_dir  # noqa: E402
from render.pipeline import render_dataset  # noqa: E402
from render.postprocess import compute_instances  # noqa: E402
from render.spec import MESH_FILE, SPEC_FILE, FrameSpec  # noqa: E402


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


class Profiler:
    def __init__(self, renderer, spec: FrameSpec, directory: Path):
        self.r, self.spec, self.dir = renderer, spec, directory
        self.scene, self.c = renderer.scene, renderer.scene.cycles

    def image(self, **cycles) -> float:
        """Time of the preset's image render with these Cycles settings changed."""
        passes.configure_image_render(self.scene, self.spec.render, str(self.dir / "profile.png"))
        self.r.camera.data.dof.use_dof = self.spec.camera.f_stop > 0
        for k, v in cycles.items():
            setattr(self.c, k, v)
        return timed(lambda: bpy.ops.render.render(write_still=False))

    def sync(self) -> float:
        self.r.build(self.spec, str(self.dir / MESH_FILE))  # a new mesh: the BVH is built again
        passes.configure_image_render(self.scene, self.spec.render, str(self.dir / "profile.png"))
        self.scene.render.resolution_x = self.scene.render.resolution_y = 8
        self.c.samples, self.c.use_adaptive_sampling, self.c.use_denoising = 1, False, False
        return timed(lambda: bpy.ops.render.render(write_still=False))

    def ids(self) -> float:
        passes.configure_image_render(self.scene, self.spec.render, str(self.dir / "profile.png"))
        passes.configure_id_render(self.scene, self.r.id_material, str(self.dir / "profile.exr"))
        self.r.camera.data.dof.use_dof = False
        return timed(lambda: bpy.ops.render.render(write_still=True))

    def png(self) -> float:
        self.image(samples=1, use_denoising=False)
        result = bpy.data.images["Render Result"]
        return timed(lambda: result.save_render(str(self.dir / "profile.png")))

    def without(self, ingredient: str) -> float:
        """Path tracing time (no denoising) with an ingredient taken away, then put back."""
        material = self.r.part.data.materials[0]
        links = material.node_tree.links
        bsdf = material.node_tree.nodes["bsdf"]
        if ingredient == "procedural textures":
            cut = [(lk.from_socket, lk.to_socket) for lk in bsdf.inputs["Normal"].links]
            cut += [(lk.from_socket, lk.to_socket) for name in ("Base Color", "Roughness")
                    for lk in bsdf.inputs[name].links]
            for a, b in cut:
                links.remove(next(lk for lk in b.links if lk.from_socket == a))
            try:
                return self.image(use_denoising=False)
            finally:
                for a, b in cut:
                    links.new(a, b)
        hide = {"the lights": self.r.lights, "studio dome": [self.r.dome], "ground": [self.r.ground]}
        if ingredient in hide:
            for obj in hide[ingredient]:
                obj.hide_render = True
            try:
                return self.image(use_denoising=False)
            finally:
                for obj in hide[ingredient]:
                    obj.hide_render = False
        if ingredient == "glass":
            value = bsdf.inputs["Transmission Weight"].default_value
            bsdf.inputs["Transmission Weight"].default_value = 0.0
            try:
                return self.image(use_denoising=False)
            finally:
                bsdf.inputs["Transmission Weight"].default_value = value
        if ingredient == "light tree (switched)":
            return self.image(use_denoising=False, use_light_tree=not self.spec.render.light_tree)
        if ingredient == "bounces above 1":
            return self.image(use_denoising=False, max_bounces=1, diffuse_bounces=1, glossy_bounces=1,
                              transmission_bounces=1)
        raise ValueError(ingredient)


INGREDIENTS = ["procedural textures", "the lights", "studio dome", "ground", "glass", "light tree (switched)",
               "bounces above 1"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--recipe", default="metal_parts")
    p.add_argument("--quality", default="preview")
    p.add_argument("--frames", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=0, help="Cycles threads (0: all cores)")
    a = p.parse_args()
    recipe, quality = load_scene(SCENES_DIR / f"{a.recipe}.yaml"), load_quality(a.quality)
    stages: dict[str, list[float]] = {}
    ingredients: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        render_dataset(recipe, quality, a.frames, Path(tmp), seed=0, prepare_only=True)
        renderer = render_frames.FrameRenderer(a.threads)
        first = None
        for i in range(1, a.frames + 1):
            d = frame_dir(Path(tmp) / recipe.name, i)
            spec = FrameSpec.from_json((d / SPEC_FILE).read_text(), raw=True)
            prof = Profiler(renderer, spec, d)
            update = timed(lambda: renderer.build(spec, str(d / MESH_FILE)))  # noqa: B023
            if first is None:
                first = prof.image()
            faces = len(renderer.part.data.polygons)
            for _ in range(a.repeats):
                full = prof.image(use_denoising=False)
                sync = prof.sync()
                row = {"scene update": update, "sync + BVH": sync, "path tracing": full - sync,
                       "denoising": prof.image() - full, "id render": prof.ids(), "PNG write": prof.png()}
                for k, v in row.items():
                    stages.setdefault(k, []).append(v)
                for ing in INGREDIENTS:
                    if ing == "glass" and not spec.material.transmission:
                        continue  # the part has none
                    ingredients.setdefault(ing, []).append((full - prof.without(ing)) / full)
            renderer.render_frame(str(d))
            image = cv2.imread(str(d / "rgb.png"))
            stages.setdefault("masks + COCO", []).append(
                timed(lambda: compute_instances(d, image, quality.min_area, quality.min_contrast)))  # noqa: B023
    med = {k: statistics.median(v) for k, v in stages.items()}
    total = sum(med.values())
    w, h = quality.resolution
    print(f"\n{a.recipe}, {a.quality} ({w}x{h}, {quality.samples} spp, denoise {quality.denoise_quality}, light tree "
          f"{quality.light_tree}), {a.frames} frames x {a.repeats} repeats, {renderer.scene.render.threads} threads, "
          f"part mesh {faces} faces (last frame); first render of the process {first:.2f} s")
    print("| stage | s per frame (median) | share |")
    print("|---|---|---|")
    for k, v in med.items():
        print(f"| {k} | {v:.3f} | {v / total:.0%} |")
    print(f"| total | {total:.2f} | |")
    print("\n| without | path tracing saved (median share) |")
    print("|---|---|")
    for k, v in ingredients.items():
        print(f"| {k} | {statistics.median(v):+.0%} |")


if __name__ == "__main__":
    main()
