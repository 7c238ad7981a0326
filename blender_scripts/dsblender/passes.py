"""Render settings for the two renders of a frame.

1. The image: Cycles path tracing, denoised, written as an 8-bit PNG (16-bit where the spec asks,
   for hybrid renders that divide two images) through the view transform.
2. The ids: the same scene with 1 sample, a ~0 px pixel filter and an override material that
   only writes AOVs, so every pixel holds the defect id (a face attribute) and the object index
   of the one surface seen through the pixel centre: exact integers, no blending (a wider
   filter would mix neighbouring ids). Written as a 32-bit multilayer EXR, never colour managed.
   Persistent data keeps the BVH between the two.
"""

import bpy

from dsblender.materials import DEFECT_AOV, OBJECT_AOV


def setup_scene(threads: int = 0) -> bpy.types.Scene:
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.render.use_persistent_data = True
    scene.render.threads_mode = "FIXED" if threads > 0 else "AUTO"
    if threads > 0:
        scene.render.threads = threads
    scene.render.resolution_percentage = 100
    scene.render.use_file_extension = False
    # no stamp metadata (date, render time...) in the files; Cycles still adds its timings to
    # PNGs, so the dataset images are re-encoded on the Python side
    for prop in dir(scene.render):
        if prop.startswith("use_stamp"):
            setattr(scene.render, prop, False)
    scene.render.film_transparent = False
    scene.cycles.denoiser = "OPENIMAGEDENOISE"
    vl = scene.view_layers[0]
    for name in (DEFECT_AOV, OBJECT_AOV):
        if name not in vl.aovs:
            aov = vl.aovs.add()
            aov.name = name
            aov.type = "VALUE"
    scene.display_settings.display_device = "sRGB"
    scene.view_settings.look = "None"
    scene.view_settings.exposure = 0.0
    scene.view_settings.gamma = 1.0
    return scene


GPU_PREFERENCE = ("OPTIX", "CUDA", "HIP", "ONEAPI", "METAL")


class DeviceMissing(RuntimeError):
    pass


def select_device(scene: bpy.types.Scene, want: str) -> str:
    """Cycles device: 'cpu', a GPU backend name, or 'auto' (the first backend with a device)."""
    if want == "cpu":
        scene.cycles.device = "CPU"
        return "CPU"
    prefs = bpy.context.preferences.addons["cycles"].preferences
    found = {}
    for kind in GPU_PREFERENCE if want == "auto" else (want.upper(),):
        try:
            prefs.compute_device_type = kind
        except TypeError:  # this Blender build has no such backend
            found[kind] = "not built in"
            continue
        prefs.refresh_devices()
        devices = list(prefs.get_devices_for_type(kind))
        if devices:
            for d in prefs.devices:
                d.use = d.type == kind
            scene.cycles.device = "GPU"
            return kind + ": " + ", ".join(d.name for d in devices)
        found[kind] = "no device"
    if want == "auto":
        scene.cycles.device = "CPU"
        return "CPU"
    raise DeviceMissing(f"--device {want}: Blender finds no {want.upper()} device ({found[want.upper()]}); "
                        "use --device auto (the best available) or --device cpu")


def configure_image_render(scene: bpy.types.Scene, r, path: str) -> None:
    """r: the spec's RenderSettings."""
    scene.view_layers[0].material_override = None
    c = scene.cycles
    scene.render.resolution_x, scene.render.resolution_y = r.width, r.height
    c.samples = r.samples
    c.use_adaptive_sampling = r.adaptive_threshold > 0
    if r.adaptive_threshold > 0:
        c.adaptive_threshold = r.adaptive_threshold
    c.use_denoising = r.denoise
    c.denoising_quality = r.denoise_quality.upper()
    c.denoising_prefilter = "ACCURATE" if r.denoise_quality == "high" else "FAST"
    c.max_bounces = r.max_bounces
    c.diffuse_bounces = c.glossy_bounces = min(r.max_bounces, 4)
    c.transmission_bounces = r.max_bounces
    c.seed = r.seed
    c.use_light_tree = r.light_tree
    c.filter_width = 1.5
    scene.view_settings.view_transform = r.view_transform
    s = scene.render.image_settings
    s.file_format = "PNG"
    s.color_mode = "RGB"
    s.color_depth = str(r.color_depth)
    s.compression = 15
    scene.render.filepath = path


def configure_id_render(scene: bpy.types.Scene, id_material: bpy.types.Material, path: str) -> None:
    scene.view_layers[0].material_override = id_material
    c = scene.cycles
    c.samples = 1
    c.use_adaptive_sampling = False
    c.use_denoising = False
    c.max_bounces = 0
    c.filter_width = 0.01
    s = scene.render.image_settings
    s.file_format = "OPEN_EXR_MULTILAYER"
    s.color_depth = "32"
    s.exr_codec = "ZIP"
    scene.render.filepath = path
