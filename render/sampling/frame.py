"""One frame spec from (recipe, quality preset, root seed, frame index)."""

from render import seeding
from render.config import QualityPreset, SceneRecipe
from render.sampling.defects import sample_defects
from render.sampling.layout import sample_fixtures, sample_others
from render.sampling.scene import (
    sample_camera,
    sample_ground,
    sample_lights,
    sample_material,
    sample_part,
    sample_sensor,
    sample_world,
)
from render.spec import SCHEMA_VERSION, FrameSpec, MeshSettings, RenderSettings

MANY_LIGHTS = 3  # a frame with this many lights or more uses Cycles' light tree when the preset says auto


def render_settings(quality: QualityPreset, seed: int, lights: int) -> RenderSettings:
    """The preset's settings for a frame with this many lights."""
    w, h = quality.resolution
    light_tree = lights >= MANY_LIGHTS if quality.light_tree == "auto" else quality.light_tree
    return RenderSettings(width=w, height=h, samples=quality.samples, adaptive_threshold=quality.adaptive_threshold,
                          denoise=quality.denoise, denoise_quality=quality.denoise_quality,
                          max_bounces=quality.max_bounces, view_transform=quality.view_transform, seed=seed,
                          light_tree=light_tree)


def sample_frame_spec(recipe: SceneRecipe, quality: QualityPreset, root_seed: int, frame_index: int) -> FrameSpec:
    """Each aspect draws from its own named stream of the frame's seed; the part goes in as drawn
    and comes out of the camera sampler as the view places it."""
    seed = seeding.frame_seed(root_seed, frame_index)
    w, h = quality.resolution
    part = sample_part(seeding.stream(seed, "part"), recipe)
    camera, part = sample_camera(seeding.stream(seed, "camera"), recipe, part, w / h)
    defects = sample_defects(seeding.stream(seed, "defects"), recipe, part, camera)
    others, fixtures = (), ()
    if recipe.layout.parts[1] > 1:
        others, more = sample_others(seeding.stream(seed, "layout"), recipe, part, camera, len(defects) + 1)
        defects += more
    f = recipe.fixtures
    if f.tray or f.conveyor or f.clamps:
        fixtures = sample_fixtures(seeding.stream(seed, "fixtures"), recipe, part, others)
    lights = sample_lights(seeding.stream(seed, "lights"), recipe, part, camera)
    return FrameSpec(
        schema_version=SCHEMA_VERSION,
        scene=recipe.name,
        frame_index=frame_index,
        root_seed=root_seed,
        seed=seed,
        render=render_settings(quality, seed, len(lights)),
        mesh=MeshSettings(**quality.mesh.model_dump()),
        part=part,
        camera=camera,
        defects=defects,
        material=sample_material(seeding.stream(seed, "material"), recipe, part),
        lights=lights,
        world=sample_world(seeding.stream(seed, "world"), recipe),
        ground=sample_ground(seeding.stream(seed, "ground"), recipe),
        sensor=sample_sensor(seeding.stream(seed, "sensor"), recipe),
        categories={name: i + 1 for i, name in enumerate(recipe.categories)},
        others=others,
        fixtures=fixtures,
    )
