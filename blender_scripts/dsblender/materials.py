"""Node trees built once per process; per frame only their input values change."""

import bpy

DEFECT_AOV = "defect_id"  # the face attribute of the part mesh (render.meshing), and its AOV
OBJECT_AOV = "object_id"  # the object's pass index: 1 on the part, 0 elsewhere
DARKEN_ATTRIBUTE = "darken"  # face attribute 0..1: darker, rougher material (crack interiors, stains)
TINT_ATTRIBUTE = "tint"  # face colour attribute: a stain's own colour (RGB) and its weight (alpha)
MOTTLE_ATTRIBUTE = "mottle"  # face 2D vector attribute: patchiness amount, noise features per mm
PAINT_ATTRIBUTE = "paint"  # face colour attribute of assemblies: a piece's own colour (RGB) and weight (alpha)
PAINT_SURFACE_ATTRIBUTE = "paint_surface"  # face 2D vector attribute: that piece's metallic, roughness


def _link(tree, a, b):
    tree.links.new(a, b)


def build_metal_material(painted: bool = False) -> bpy.types.Material:
    """Principled metal with machining marks (stretched noise) and grain. painted: faces with a
    paint weight take their own colour, metallic and roughness (an assembly's pieces); a
    separate material, so that parts without paint render exactly as before it existed."""
    mat = bpy.data.materials.new("part_painted" if painted else "part_metal")
    mat.use_nodes = True
    t = mat.node_tree
    t.nodes.clear()
    n = t.nodes
    out = n.new("ShaderNodeOutputMaterial")
    bsdf = n.new("ShaderNodeBsdfPrincipled")
    bsdf.name = "bsdf"
    _link(t, bsdf.outputs["BSDF"], out.inputs["Surface"])

    uv = n.new("ShaderNodeUVMap")
    uv.uv_map = "UVMap"
    # texture space: UV in mm, rotated to the machining direction, offset per frame
    mapping = n.new("ShaderNodeMapping")
    mapping.name = "mapping"
    _link(t, uv.outputs["UV"], mapping.inputs["Vector"])
    # machining marks: noise stretched along u -> fine parallel lines
    brush_map = n.new("ShaderNodeMapping")
    brush_map.inputs["Scale"].default_value = (0.03, 12.0, 1.0)
    _link(t, mapping.outputs["Vector"], brush_map.inputs["Vector"])
    brush = n.new("ShaderNodeTexNoise")
    brush.inputs["Scale"].default_value = 1.0
    brush.inputs["Detail"].default_value = 2.0
    _link(t, brush_map.outputs["Vector"], brush.inputs["Vector"])
    grain = n.new("ShaderNodeTexNoise")
    grain.name = "grain"
    grain.inputs["Scale"].default_value = 3.0  # per mm
    grain.inputs["Detail"].default_value = 2.0
    _link(t, mapping.outputs["Vector"], grain.inputs["Vector"])

    bump_brush = n.new("ShaderNodeBump")
    bump_brush.name = "bump_brush"
    bump_brush.inputs["Distance"].default_value = 0.00002
    _link(t, brush.outputs["Fac"], bump_brush.inputs["Height"])
    bump_grain = n.new("ShaderNodeBump")
    bump_grain.name = "bump_grain"
    bump_grain.inputs["Distance"].default_value = 0.00002
    _link(t, grain.outputs["Fac"], bump_grain.inputs["Height"])
    _link(t, bump_brush.outputs["Normal"], bump_grain.inputs["Normal"])
    _link(t, bump_grain.outputs["Normal"], bsdf.inputs["Normal"])

    # roughness varies a little with the grain so highlights are not CG-clean
    rough = n.new("ShaderNodeMapRange")
    rough.name = "roughness"
    _link(t, grain.outputs["Fac"], rough.inputs["Value"])

    # defect darkening: base colour x (1 - darken), roughness + 0.5 darken
    darken, stain_color, stain_weight = _defect_look(t, mapping)
    keep = n.new("ShaderNodeMath")
    keep.operation = "SUBTRACT"
    keep.inputs[0].default_value = 1.0
    _link(t, darken, keep.inputs[1])
    # machining streaks also vary the albedo: x (1 + streak * (noise - 0.5))
    streak = n.new("ShaderNodeMapRange")
    streak.name = "streaks"
    _link(t, brush.outputs["Fac"], streak.inputs["Value"])
    shade = n.new("ShaderNodeMath")
    shade.operation = "MULTIPLY"
    _link(t, keep.outputs["Value"], shade.inputs[0])
    _link(t, streak.outputs["Result"], shade.inputs[1])
    tint = n.new("ShaderNodeVectorMath")  # colour as a vector, scaled by (1 - darken) x streaks
    tint.name = "base_color"
    tint.operation = "SCALE"
    _link(t, shade.outputs["Value"], tint.inputs["Scale"])
    # a stain's own colour over the surface's (rust, paint), by its weight; no longer metal there
    mix = n.new("ShaderNodeMix")
    mix.data_type = "RGBA"
    _link(t, stain_weight, mix.inputs["Factor"])
    _link(t, tint.outputs["Vector"], mix.inputs[6])  # A (colour)
    _link(t, stain_color, mix.inputs[7])  # B (colour)
    _link(t, mix.outputs[2], bsdf.inputs["Base Color"])
    metal = n.new("ShaderNodeMath")
    metal.name = "metallic"
    metal.operation = "MULTIPLY"
    _link(t, _math(t, "SUBTRACT", 1.0, stain_weight), metal.inputs[1])
    _link(t, metal.outputs["Value"], bsdf.inputs["Metallic"])
    rough_up = n.new("ShaderNodeMath")
    rough_up.operation = "MULTIPLY_ADD"
    rough_up.inputs[1].default_value = 0.5
    rough_up.use_clamp = True
    _link(t, darken, rough_up.inputs[0])
    _link(t, rough.outputs["Result"], rough_up.inputs[2])
    _link(t, rough_up.outputs["Value"], bsdf.inputs["Roughness"])

    if painted:
        _paint(t, tint, metal, rough, rough_up)

    tangent = n.new("ShaderNodeTangent")
    tangent.direction_type = "UV_MAP"
    tangent.uv_map = "UVMap"
    _link(t, tangent.outputs["Tangent"], bsdf.inputs["Tangent"])

    return mat


def _paint(tree, tint, metal, rough, rough_up) -> None:
    """Mix the material's colour, metallic and roughness with the faces' paint by its weight."""
    n = tree.nodes
    paint = n.new("ShaderNodeAttribute")
    paint.attribute_type = "GEOMETRY"
    paint.attribute_name = PAINT_ATTRIBUTE
    surface = n.new("ShaderNodeAttribute")
    surface.attribute_type = "GEOMETRY"
    surface.attribute_name = PAINT_SURFACE_ATTRIBUTE
    metallic_roughness = n.new("ShaderNodeSeparateXYZ")
    _link(tree, surface.outputs["Vector"], metallic_roughness.inputs["Vector"])
    base_rgb = n.new("ShaderNodeRGB")
    base_rgb.name = "base_rgb"
    base_metallic = n.new("ShaderNodeValue")
    base_metallic.name = "base_metallic"

    def mix(kind, a, b):
        m = n.new("ShaderNodeMix")
        m.data_type = kind
        _link(tree, paint.outputs["Alpha"], m.inputs["Factor"])
        i, o = (6, 2) if kind == "RGBA" else (2, 0)
        _link(tree, a, m.inputs[i])
        _link(tree, b, m.inputs[i + 1])
        return m.outputs[o]

    _link(tree, mix("RGBA", base_rgb.outputs[0], paint.outputs["Color"]), tint.inputs[0])
    _link(tree, mix("FLOAT", base_metallic.outputs[0], metallic_roughness.outputs["X"]), metal.inputs[0])
    _link(tree, mix("FLOAT", rough.outputs["Result"], metallic_roughness.outputs["Y"]), rough_up.inputs[2])


def _math(tree, operation: str, *values, clamp: bool = False):
    """The output of a Math node on its inputs, each a socket or a number."""
    node = tree.nodes.new("ShaderNodeMath")
    node.operation = operation
    node.use_clamp = clamp
    for socket, v in zip(node.inputs, values, strict=False):  # a Math node has 3 inputs; most use 2
        if isinstance(v, (int, float)):
            socket.default_value = v
        else:
            _link(tree, v, socket)
    return node.outputs["Value"]


def _defect_look(tree, mapping):
    """(darken, stain colour, stain weight) sockets from the face attributes; where a face is
    mottled (amount > 0), darken and weight are scaled by 1 + 4 amount (noise - 0.5), a noise of
    the face's own frequency, so a stain is patchy within its faces. Amount 0 scales by exactly 1."""
    n = tree.nodes

    def attribute(name):
        a = n.new("ShaderNodeAttribute")
        a.attribute_type = "GEOMETRY"
        a.attribute_name = name
        return a

    darken, stain, mottle = attribute(DARKEN_ATTRIBUTE), attribute(TINT_ATTRIBUTE), attribute(MOTTLE_ATTRIBUTE)
    amount_frequency = n.new("ShaderNodeSeparateXYZ")
    _link(tree, mottle.outputs["Vector"], amount_frequency.inputs["Vector"])
    where = n.new("ShaderNodeVectorMath")
    where.operation = "SCALE"
    _link(tree, mapping.outputs["Vector"], where.inputs[0])
    _link(tree, amount_frequency.outputs["Y"], where.inputs["Scale"])
    noise = n.new("ShaderNodeTexNoise")
    noise.inputs["Scale"].default_value = 1.0
    noise.inputs["Detail"].default_value = 4.0
    _link(tree, where.outputs["Vector"], noise.inputs["Vector"])
    centred = _math(tree, "SUBTRACT", noise.outputs["Fac"], 0.5)
    gain = _math(tree, "MULTIPLY", amount_frequency.outputs["X"], 4.0)
    factor = _math(tree, "MAXIMUM", _math(tree, "MULTIPLY_ADD", centred, gain, 1.0), 0.0)
    return (_math(tree, "MULTIPLY", darken.outputs["Fac"], factor, clamp=True), stain.outputs["Color"],
            _math(tree, "MULTIPLY", stain.outputs["Alpha"], factor, clamp=True))


def build_id_material() -> bpy.types.Material:
    """Override material of the id render: writes the two id AOVs and shades nothing.

    A holdout surface costs no light sampling, so the id render is ~6x cheaper than one
    sample of the real material (0.1 s vs 0.7 s at 512x512 here); the AOVs are unaffected.
    """
    mat = bpy.data.materials.new("ids")
    mat.use_nodes = True
    t = mat.node_tree
    t.nodes.clear()
    out = t.nodes.new("ShaderNodeOutputMaterial")
    _link(t, t.nodes.new("ShaderNodeHoldout").outputs["Holdout"], out.inputs["Surface"])
    attr = t.nodes.new("ShaderNodeAttribute")
    attr.attribute_type = "GEOMETRY"
    attr.attribute_name = DEFECT_AOV
    info = t.nodes.new("ShaderNodeObjectInfo")
    for name, socket in ((DEFECT_AOV, attr.outputs["Fac"]), (OBJECT_AOV, info.outputs["Object Index"])):
        aov = t.nodes.new("ShaderNodeOutputAOV")
        aov.aov_name = name
        _link(t, socket, aov.inputs["Value"])
    return mat


def update_metal_material(mat: bpy.types.Material, m) -> None:
    """m: the spec's Material."""
    n = mat.node_tree.nodes
    bsdf = n["bsdf"]
    n["base_color"].inputs[0].default_value = m.base_color
    n["metallic"].inputs[0].default_value = m.metallic
    if "base_rgb" in n:  # the painted variant takes these through its paint mix
        n["base_rgb"].outputs[0].default_value = (*m.base_color, 1.0)
        n["base_metallic"].outputs[0].default_value = m.metallic
    bsdf.inputs["Anisotropic"].default_value = 0.6 * m.brushing
    mapping = n["mapping"]
    mapping.inputs["Location"].default_value = m.texture_offset
    mapping.inputs["Rotation"].default_value = (0.0, 0.0, m.brush_angle)
    n["bump_brush"].inputs["Strength"].default_value = 0.5 * m.brushing
    s = n["streaks"].inputs  # noise 0.3..0.7 -> albedo factor 1 -/+ 0.5 brushing
    s["From Min"].default_value, s["From Max"].default_value = 0.3, 0.7
    s["To Min"].default_value, s["To Max"].default_value = 1 - 0.5 * m.brushing, 1 + 0.5 * m.brushing
    n["bump_grain"].inputs["Strength"].default_value = 0.4 * m.grain
    n["grain"].inputs["Scale"].default_value = m.grain_scale
    for bump in ("bump_brush", "bump_grain"):
        n[bump].inputs["Distance"].default_value = m.relief * 1e-3  # mm -> m
    bsdf.inputs["Transmission Weight"].default_value = m.transmission
    bsdf.inputs["IOR"].default_value = m.ior
    r = n["roughness"].inputs
    spread = 0.3 * m.grain * m.roughness
    r["To Min"].default_value = max(0.0, m.roughness - spread)
    r["To Max"].default_value = min(1.0, m.roughness + spread)


def build_ground_material() -> bpy.types.Material:
    mat = bpy.data.materials.new("ground")
    mat.use_nodes = True
    return mat


def update_ground_material(mat: bpy.types.Material, g) -> None:
    bsdf = mat.node_tree.nodes["Principled BSDF"]
    bsdf.inputs["Base Color"].default_value = (*g.color, 1.0)
    bsdf.inputs["Roughness"].default_value = g.roughness


def build_studio_material() -> bpy.types.Material:
    """Studio gradient on an emissive dome: dark floor, bright ceiling, seen by the metal.

    A dome rather than the world shader: Cycles re-syncs the whole background when a world
    value changes (~0.85 s a frame here, even with world importance sampling off), while a
    changed material value costs ~0.02 s. Not sampled as a light, like a world without MIS.
    """
    mat = bpy.data.materials.new("studio")
    mat.use_nodes = True
    mat.cycles.emission_sampling = "NONE"
    t = mat.node_tree
    n = t.nodes
    n.clear()
    out = n.new("ShaderNodeOutputMaterial")
    emit = n.new("ShaderNodeEmission")
    emit.name = "emission"
    coord = n.new("ShaderNodeTexCoord")
    norm = n.new("ShaderNodeVectorMath")
    norm.operation = "NORMALIZE"
    sep = n.new("ShaderNodeSeparateXYZ")
    ramp = n.new("ShaderNodeValToRGB")
    ramp.color_ramp.elements[0].position = 0.35
    ramp.color_ramp.elements[0].color = (0.02, 0.02, 0.02, 1)
    ramp.color_ramp.elements[1].position = 0.9
    ramp.color_ramp.elements[1].color = (1, 1, 1, 1)
    to01 = n.new("ShaderNodeMapRange")
    to01.inputs["From Min"].default_value = -1.0
    _link(t, coord.outputs["Object"], norm.inputs[0])
    _link(t, norm.outputs["Vector"], sep.inputs["Vector"])
    _link(t, sep.outputs["Z"], to01.inputs["Value"])
    _link(t, to01.outputs["Result"], ramp.inputs["Fac"])
    _link(t, ramp.outputs["Color"], emit.inputs["Color"])
    _link(t, emit.outputs["Emission"], out.inputs["Surface"])
    return mat


def update_studio(mat: bpy.types.Material, w) -> None:
    mat.node_tree.nodes["emission"].inputs["Strength"].default_value = w.strength


def build_hdri_world() -> bpy.types.World:
    """A world lit by an environment image (one of Blender's own), turned about z. Used instead
    of the studio dome for frames that name one (a world re-syncs when it changes, ~1 s a
    frame, but samples its image as a light: far less noise than an emissive dome)."""
    world = bpy.data.worlds.new("hdri")
    world.use_nodes = True
    t = world.node_tree
    n = t.nodes
    n.clear()
    coord = n.new("ShaderNodeTexCoord")
    mapping = n.new("ShaderNodeMapping")
    mapping.name = "mapping"
    env = n.new("ShaderNodeTexEnvironment")
    env.name = "image"
    background = n.new("ShaderNodeBackground")
    background.name = "background"
    out = n.new("ShaderNodeOutputWorld")
    _link(t, coord.outputs["Generated"], mapping.inputs["Vector"])
    _link(t, mapping.outputs["Vector"], env.inputs["Vector"])
    _link(t, env.outputs["Color"], background.inputs["Color"])
    _link(t, background.outputs["Background"], out.inputs["Surface"])
    return world


def update_hdri_world(world: bpy.types.World, w) -> None:
    """w: the spec's World with an `hdri` name."""
    import os

    n = world.node_tree.nodes
    folder = bpy.utils.system_resource("DATAFILES", path=os.path.join("studiolights", "world"))
    n["image"].image = bpy.data.images.load(os.path.join(folder, f"{w.hdri}.exr"), check_existing=True)
    n["mapping"].inputs["Rotation"].default_value = (0.0, 0.0, w.rotation)
    n["background"].inputs["Strength"].default_value = w.hdri_strength
