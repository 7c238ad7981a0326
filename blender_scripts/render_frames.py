"""Render prepared frame directories with Blender.

Each frame directory holds spec.json (the frame spec, read with render.spec, which needs only
Python's standard library) and mesh.npz (the part mesh, render.parts). This script writes
rgb.png, ids.exr and, last, manifest.json (the frame's completion marker, with the size and
SHA-256 of rgb.png and ids.exr, so a resumed run can tell a damaged frame) into it. Frames that
already have a manifest are skipped, so a batch can be re-run after a crash. One process
renders the whole batch; the scene is built once and only updated per frame.

Runs the same way in both Blenders:
  blender -b --python-exit-code 1 -P blender_scripts/render_frames.py -- --frames DIR [DIR ...]
  python blender_scripts/render_frames.py --frames DIR [DIR ...]      (with the bpy module)
Progress goes to stdout as lines starting with render.spec.EVENT_PREFIX followed by JSON.
"""

import argparse
import json
import os
import sys
import time

# this folder (dsblender) and the project root (render.spec, render.files: standard library only)
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]

import bpy  # noqa: E402
import numpy as np  # noqa: E402
from dsblender import materials, objects, passes  # noqa: E402

from render.files import file_digest, write_atomic  # noqa: E402
from render.spec import DEVICES, EVENT_PREFIX, MANIFEST_FILE, MESH_FILE, SPEC_FILE, FrameSpec, dumps  # noqa: E402


def _event(**kw) -> None:
    print(EVENT_PREFIX + json.dumps(kw), flush=True)


class FrameRenderer:
    """Holds the scene that all frames of a batch share."""

    def __init__(self, threads: int = 0, device: str = "cpu"):
        bpy.ops.wm.read_factory_settings(use_empty=True)
        self.scene = passes.setup_scene(threads)
        self.device = passes.select_device(self.scene, device)
        self.metal = materials.build_metal_material()
        self.painted = None  # the metal material with paint, made when a frame first needs it
        self.hdri_world = None  # likewise the environment-image world
        self.id_material = materials.build_id_material()
        self.ground_mat = materials.build_ground_material()
        self.studio = materials.build_studio_material()
        self.dome = objects.build_dome(self.studio)
        self.black_world = bpy.data.worlds.new("black")  # the dome is the surroundings
        self.black_world.color = (0.0, 0.0, 0.0)
        self.scene.world = self.black_world
        self.ground = objects.build_ground(self.ground_mat)
        self.camera = objects.build_camera()
        self.part = None
        self.lights = []

    def build(self, spec: FrameSpec, mesh_npz: str) -> None:
        data = np.load(mesh_npz)
        material = self.metal
        if "face_paint" in data.files:
            self.painted = self.painted or materials.build_metal_material(painted=True)
            material = self.painted
        self.part = objects.build_part(data, self.part, material)
        materials.update_metal_material(material, spec.material)
        materials.update_ground_material(self.ground_mat, spec.ground)
        self._surroundings(spec.world)
        objects.update_camera(self.camera, spec.camera)
        self.lights = objects.update_lights(self.lights, spec.lights)

    def _surroundings(self, world) -> None:
        """The studio dome, or an environment image as the world (the dome hidden)."""
        if world.hdri:
            self.hdri_world = self.hdri_world or materials.build_hdri_world()
            materials.update_hdri_world(self.hdri_world, world)
        else:
            materials.update_studio(self.studio, world)
        want = self.hdri_world if world.hdri else self.black_world
        if self.scene.world != want:
            self.scene.world = want
            self.dome.hide_render = bool(world.hdri)

    def _render(self) -> float:
        t = time.perf_counter()
        bpy.ops.render.render(write_still=True)
        return time.perf_counter() - t

    def render_frame(self, frame_dir: str) -> dict:
        with open(os.path.join(frame_dir, SPEC_FILE), encoding="utf-8") as f:
            spec = FrameSpec.from_json(f.read(), raw=True)  # parts and defects: only what Blender needs
        t0 = time.perf_counter()
        self.build(spec, os.path.join(frame_dir, MESH_FILE))
        build_s = time.perf_counter() - t0

        rgb_tmp = os.path.join(frame_dir, "rgb.tmp.png")
        ids_tmp = os.path.join(frame_dir, "ids.tmp.exr")
        try:
            passes.configure_image_render(self.scene, spec.render, rgb_tmp)
            rgb_s = self._render()
            passes.configure_id_render(self.scene, self.id_material, ids_tmp)
            self.camera.data.dof.use_dof = False  # ids through a pinhole: the mask is where the defect is
            ids_s = self._render()
            os.replace(rgb_tmp, os.path.join(frame_dir, "rgb.png"))
            os.replace(ids_tmp, os.path.join(frame_dir, "ids.exr"))
        finally:  # a failed frame (a full disk) leaves no temporary image behind
            for tmp in (rgb_tmp, ids_tmp):
                if os.path.exists(tmp):
                    os.remove(tmp)
        layer = self.scene.view_layers[0].name
        manifest = {
            "schema_version": spec.schema_version,
            "frame_index": spec.frame_index,
            "files": {"rgb": "rgb.png", "ids": "ids.exr", "spec": SPEC_FILE},
            # what a resumed run checks before it trusts this frame (render.frames.files_intact)
            "digests": {role: file_digest(os.path.join(frame_dir, name))
                        for role, name in (("rgb", "rgb.png"), ("ids", "ids.exr"))},
            "id_channels": {"defect": f"{layer}.{materials.DEFECT_AOV}.X",
                            "object": f"{layer}.{materials.OBJECT_AOV}.X"},
            "part_pass_index": objects.PART_PASS_INDEX,
            "instances": [{"id": d.id, "category": d.category, "type": d.shape.type} for d in spec.defects],
            "timing_s": {"build": build_s, "render_image": rgb_s, "render_ids": ids_s},
            "blender": bpy.app.version_string,
            "device": self.device,
        }
        write_atomic(os.path.join(frame_dir, MANIFEST_FILE), dumps(manifest))
        return manifest


def _max_rss_mb() -> float:
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def parse_args(argv: list[str]) -> argparse.Namespace:
    args = argv[argv.index("--") + 1:] if "--" in argv else argv[1:]
    p = argparse.ArgumentParser(prog="render_frames.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--frames", nargs="*", default=[], help="frame directories to render")
    p.add_argument("--frames-file", help="text file with one frame directory per line")
    p.add_argument("--threads", type=int, default=0, help="Cycles threads (0 = all cores)")
    p.add_argument("--device", default="cpu", choices=DEVICES,
                   help="Cycles device (auto = the best GPU backend with a device, else the CPU)")
    p.add_argument("--check-device", action="store_true",
                   help="only say whether --device is available (a 'ready' or 'fatal' event), render nothing")
    ns = p.parse_args(args)
    if ns.frames_file:
        with open(ns.frames_file, encoding="utf-8") as f:
            ns.frames += [line.strip() for line in f if line.strip()]
    if not ns.frames and not ns.check_device:
        p.error("no frames given (--frames or --frames-file)")
    return ns


def main() -> None:
    ns = parse_args(sys.argv)
    t_start = time.perf_counter()
    try:
        renderer = FrameRenderer(ns.threads, ns.device)
    except passes.DeviceMissing as e:
        _event(event="fatal", message=str(e))
        sys.exit(3)
    _event(event="ready", setup_s=time.perf_counter() - t_start, blender=bpy.app.version_string,
           device=renderer.device)
    if ns.check_device:
        return
    for frame_dir in ns.frames:
        if os.path.exists(os.path.join(frame_dir, MANIFEST_FILE)):
            _event(event="skipped", frame=frame_dir)
            continue
        m = renderer.render_frame(frame_dir)
        _event(event="done", frame=frame_dir, timing_s=m["timing_s"])
    _event(event="finished", total_s=time.perf_counter() - t_start, max_rss_mb=_max_rss_mb())


if __name__ == "__main__":
    main()
