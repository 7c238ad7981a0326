"""Part mesh, ground, camera and lights from spec values."""

import bpy
import numpy as np
from mathutils import Matrix, Quaternion, Vector

from dsblender import MM
from dsblender.materials import (
    DARKEN_ATTRIBUTE,
    DEFECT_AOV,
    MOTTLE_ATTRIBUTE,
    PAINT_ATTRIBUTE,
    PAINT_SURFACE_ATTRIBUTE,
    TINT_ATTRIBUTE,
)

PART_PASS_INDEX = 1  # object index of the part in the id pass; everything else is 0


def build_part(data, obj: bpy.types.Object | None, material: bpy.types.Material) -> bpy.types.Object:
    """Mesh from the arrays of render.meshing.PartMesh (mesh.npz, loaded); replaces the previous
    frame's mesh."""
    verts = (data["vertices"].astype(np.float32) * MM).ravel()
    faces = data["faces"].astype(np.int32)
    me = bpy.data.meshes.new("part")
    me.vertices.add(len(verts) // 3)
    me.vertices.foreach_set("co", verts)
    me.loops.add(faces.size)
    me.loops.foreach_set("vertex_index", faces.ravel())
    me.polygons.add(len(faces))
    me.polygons.foreach_set("loop_start", np.arange(0, faces.size, 3, dtype=np.int32))
    me.update(calc_edges=True)
    ids = me.attributes.new(DEFECT_AOV, "INT", "FACE")
    ids.data.foreach_set("value", data["face_defect"].astype(np.int32))
    darken = me.attributes.new(DARKEN_ATTRIBUTE, "FLOAT", "FACE")
    darken.data.foreach_set("value", data["face_darken"].astype(np.float32))
    # a stain's own colour and patchiness: zero (none) where the mesh file has none
    for name, key, kind, width, field in ((TINT_ATTRIBUTE, "face_tint", "FLOAT_COLOR", 4, "color"),
                                          (MOTTLE_ATTRIBUTE, "face_mottle", "FLOAT2", 2, "vector")):
        values = data[key] if key in data else np.zeros((len(faces), width))
        me.attributes.new(name, kind, "FACE").data.foreach_set(field, values.astype(np.float32).ravel())
    if "face_paint" in data:  # an assembly's pieces: their own colour, metallic, roughness
        paint = data["face_paint"].astype(np.float32)
        me.attributes.new(PAINT_ATTRIBUTE, "FLOAT_COLOR", "FACE").data.foreach_set(
            "color", paint[:, [0, 1, 2, 5]].ravel())
        me.attributes.new(PAINT_SURFACE_ATTRIBUTE, "FLOAT2", "FACE").data.foreach_set("vector", paint[:, 3:5].ravel())
    sharp = me.attributes.new("sharp_face", "BOOLEAN", "FACE")
    sharp.data.foreach_set("value", ~data["face_smooth"].astype(bool))
    uv_layer = me.uv_layers.new(name="UVMap")
    uv_layer.data.foreach_set("uv", data["uv"].astype(np.float32)[faces].ravel())
    me.materials.append(material)

    if obj is None:
        obj = bpy.data.objects.new("part", me)
        bpy.context.scene.collection.objects.link(obj)
        obj.pass_index = PART_PASS_INDEX
    else:
        old = obj.data
        obj.data = me
        bpy.data.meshes.remove(old)
    return obj


DOME_RADIUS = 8.0  # metres: around everything, beyond the ground's edge


def build_dome(material: bpy.types.Material) -> bpy.types.Object:
    """An inward-facing sphere that carries the studio gradient (see build_studio_material)."""
    import bmesh

    me = bpy.data.meshes.new("dome")
    bm = bmesh.new()
    bmesh.ops.create_uvsphere(bm, u_segments=48, v_segments=24, radius=DOME_RADIUS)
    bmesh.ops.reverse_faces(bm, faces=bm.faces)
    bm.to_mesh(me)
    bm.free()
    me.shade_smooth()
    me.materials.append(material)
    obj = bpy.data.objects.new("dome", me)
    bpy.context.scene.collection.objects.link(obj)
    return obj


def build_ground(material: bpy.types.Material) -> bpy.types.Object:
    me = bpy.data.meshes.new("ground")
    s = 5.0  # metres: far beyond any frame, inside the dome
    z = -0.02 * MM  # just below the part's base, never coplanar with it (a glass part shows its base)
    me.from_pydata([(-s, -s, z), (s, -s, z), (s, s, z), (-s, s, z)], [], [(0, 1, 2, 3)])
    me.materials.append(material)
    obj = bpy.data.objects.new("ground", me)
    bpy.context.scene.collection.objects.link(obj)
    return obj


def _aim(obj: bpy.types.Object, location, look_at) -> None:
    obj.location = Vector(location) * MM
    direction = (Vector(look_at) - Vector(location)).normalized()
    obj.rotation_mode = "QUATERNION"
    obj.rotation_quaternion = direction.to_track_quat("-Z", "Y")


def build_camera() -> bpy.types.Object:
    cam = bpy.data.objects.new("camera", bpy.data.cameras.new("camera"))
    bpy.context.scene.collection.objects.link(cam)
    bpy.context.scene.camera = cam
    return cam


def update_camera(cam: bpy.types.Object, c) -> None:
    """Look from location at look_at with `up` as the image's up direction, then roll (c: the
    spec's Camera)."""
    forward = (Vector(c.look_at) - Vector(c.location)).normalized()
    up = Vector(c.up)
    if abs(forward.dot(up.normalized())) > 0.999:  # looking along up: any perpendicular will do
        up = Vector((1.0, 0.0, 0.0)) if abs(forward.x) < 0.9 else Vector((0.0, 1.0, 0.0))
    right = forward.cross(up).normalized()
    true_up = right.cross(forward)
    rot = Matrix((right, true_up, -forward)).transposed()  # columns: camera x, y, z in the world
    cam.location = Vector(c.location) * MM
    cam.rotation_mode = "QUATERNION"
    cam.rotation_quaternion = rot.to_quaternion() @ Quaternion((0.0, 0.0, 1.0), c.roll)
    cam.data.lens = c.focal_length
    cam.data.sensor_width = c.sensor_width
    cam.data.sensor_fit = "AUTO"
    cam.data.clip_start = c.clip_start * MM
    cam.data.clip_end = c.clip_end * MM
    bpy.context.scene.view_settings.exposure = c.exposure
    cam.data.dof.use_dof = c.f_stop > 0
    if cam.data.dof.use_dof:
        cam.data.dof.focus_distance = c.focus_distance * MM
        cam.data.dof.aperture_fstop = c.f_stop


def update_lights(existing: list, lights) -> list:
    """Area lights (the spec's Light records): reuse objects where possible (cheaper than
    delete/create each frame)."""
    scene = bpy.context.scene
    while len(existing) > len(lights):
        obj = existing.pop()
        data = obj.data
        bpy.data.objects.remove(obj)
        bpy.data.lights.remove(data)
    while len(existing) < len(lights):
        obj = bpy.data.objects.new(f"light{len(existing)}", bpy.data.lights.new(f"light{len(existing)}", "AREA"))
        scene.collection.objects.link(obj)
        existing.append(obj)
    for obj, light in zip(existing, lights, strict=False):
        _aim(obj, light.location, light.look_at)
        if light.size_y is not None:  # a bar light
            obj.data.shape = "RECTANGLE"
            obj.data.size_y = light.size_y * MM
        else:
            obj.data.shape = "SQUARE"
        obj.data.size = light.size * MM
        obj.data.energy = light.power
        obj.data.color = light.color
        obj.visible_camera = light.camera_visible  # ring and coaxial lights sit at the lens
    return existing
