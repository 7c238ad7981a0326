"""User meshes as parts: loading and its errors, the defect patch, and one real render."""

import json
from dataclasses import replace

import cv2
import numpy as np
import pytest
import trimesh
from test_cli import assert_one_line_error, run_cli

from render import launcher
from render.config import SCENES_DIR, load_quality, load_scene
from render.errors import UserError
from render.frames import prepare_frame
from render.parts import chart, mesh_file
from render.parts.user_mesh import UserMesh, cast_rays, segment_distance
from render.postprocess import read_id_passes
from render.sampling.frame import sample_frame_spec
from render.spec import dumps

FLANGE = SCENES_DIR / "flange.yaml"


def bushing() -> trimesh.Trimesh:
    profile = np.array([[3, 0], [10, 0], [10, 3], [5, 3], [5, 12], [3, 12], [3, 0]], float)
    return trimesh.creation.revolve(profile, sections=48)


@pytest.mark.parametrize("suffix", [".stl", ".obj", ".ply", ".glb", ".off"])
def test_every_format_loads_to_the_same_part(tmp_path, suffix):
    path = tmp_path / f"part{suffix}"
    bushing().export(path)
    m = mesh_file.load_unit_mesh(str(path))
    # longest side 1, centred on the z axis, standing on z = 0
    np.testing.assert_allclose(m.extents, [1.0, 1.0, 12 / 20], atol=1e-6)
    lo, hi = m.vertices.min(0), m.vertices.max(0)
    np.testing.assert_allclose([lo[0] + hi[0], lo[1] + hi[1], lo[2]], 0, atol=1e-9)
    assert (np.einsum("ij,ij->i", m.face_normals, m.vertices[m.faces].mean(1) - [0, 0, 0.3]) > -0.6).mean() > 0.9


def test_up_axis_turns_the_mesh_upright(tmp_path):
    path = tmp_path / "box.stl"
    trimesh.creation.box([10, 40, 20]).export(path)
    np.testing.assert_allclose(mesh_file.load_unit_mesh(str(path), "z").extents, [0.25, 1, 0.5], atol=1e-9)
    np.testing.assert_allclose(mesh_file.load_unit_mesh(str(path), "y").extents[2], 1.0, atol=1e-9)


def test_broken_meshes_are_explained(tmp_path, monkeypatch):
    (tmp_path / "empty.stl").write_bytes(b"")
    (tmp_path / "junk.ply").write_bytes(b"\x00\x01 not a ply file at all" * 10)
    (tmp_path / "nan.obj").write_text("v 0 0 0\nv 1 0 0\nv nan 1 0\nf 1 2 3\n")
    (tmp_path / "part.txt").write_text("hello")
    bushing().export(tmp_path / "big.stl")
    cases = {"missing.stl": "no such file", "part.txt": "unsupported format", "empty.stl": "no triangles",
             "junk.ply": "cannot read it", "nan.obj": "NaN"}
    for name, needle in cases.items():
        with pytest.raises(UserError, match=needle) as e:
            mesh_file.load_unit_mesh(str(tmp_path / name))
        assert "\n" not in str(e.value)
    monkeypatch.setattr(mesh_file, "MAX_FACES", 100)
    with pytest.raises(UserError, match="too many"):
        mesh_file.load_unit_mesh.__wrapped__(str(tmp_path / "big.stl"))


def test_recipe_with_a_missing_mesh_is_one_line_error(tmp_path):
    recipe = tmp_path / "mine.yaml"
    recipe.write_text(FLANGE.read_text().replace("../assets/meshes/flange.stl", "no_such_part.stl"))
    res = run_cli("render", "--scene", str(recipe), "--out", str(tmp_path / "out"))
    assert_one_line_error(res, "no_such_part.stl", "no such file")
    assert not (tmp_path / "out").exists()


def specs(n=8):
    recipe, quality = load_scene(FLANGE), load_quality("preview")
    return [sample_frame_spec(recipe, quality, 3, i) for i in range(n)]


def test_anchor_is_a_spot_the_camera_sees():
    for s in specs():
        part, cam = s.part, s.camera
        m = part.unit_mesh()
        loc, anchor = np.array(cam.location), np.array(part.anchor)
        ray = (anchor - loc) / np.linalg.norm(anchor - loc)
        dist, face = cast_rays(m.vertices * part.size, m.faces, loc, ray[None])
        assert dist[0] == pytest.approx(np.linalg.norm(anchor - loc), rel=1e-6)  # nothing in front of it
        assert -m.face_normals[part.anchor_face] @ ray > chart.CHART_FACING
        np.testing.assert_allclose(cam.look_at, anchor)


def test_patch_is_remeshed_without_cracks_and_carries_the_defects():
    for s in specs():
        m = s.part.build_mesh(s.defects, s.mesh)
        tm = m.to_trimesh()
        tm.merge_vertices(merge_tex=True, merge_norm=True)  # join the sharp-edge split again
        tm.remove_unreferenced_vertices()
        assert tm.is_watertight and tm.is_winding_consistent  # the patch joins the rest exactly
        plain = s.part.build_mesh([], s.mesh).to_trimesh()
        plain.merge_vertices(merge_tex=True, merge_norm=True)
        ids = set(np.unique(m.face_defect)) - {0}
        assert ids == {d.id for d in s.defects}, s.frame_index
        # the defects changed the surface: material went (dents, scratches, chips) or moved
        assert not np.isclose(tm.volume, plain.volume, rtol=1e-7)
        # far from the patch the mesh is the user's, untouched
        assert len(m.faces) > len(s.part.unit_mesh().faces) - len(chart.chart(s.part).face_ids)


def test_same_seed_same_spec_and_mesh():
    a, b = specs(2), specs(2)
    assert [dumps(s) for s in a] == [dumps(s) for s in b]
    ma, mb = (s.part.build_mesh(s.defects, s.mesh) for s in (a[1], b[1]))
    assert np.array_equal(ma.vertices, mb.vertices) and np.array_equal(ma.faces, mb.faces)


@pytest.mark.blender
def test_defects_on_a_user_mesh_render_masked_inside_the_part(tmp_path):
    quality = load_quality("preview", resolution=(96, 96), samples=4)
    recipe = load_scene(FLANGE)
    dirs = []
    for i in range(3):
        spec = sample_frame_spec(recipe, quality, 5, i)
        dirs.append(tmp_path / f"f{i}")
        prepare_frame(dirs[-1], spec)
        plain = replace(spec, defects=())
        dirs.append(tmp_path / f"plain{i}")
        prepare_frame(dirs[-1], plain)
    launcher.run_batch(dirs, tmp_path / "render.log", lambda ev: None)
    seen = 0
    for i in range(3):
        d, p = tmp_path / f"f{i}", tmp_path / f"plain{i}"
        manifest = json.loads((d / "manifest.json").read_text())
        ids, obj = read_id_passes(d / "ids.exr", manifest["id_channels"])
        assert (obj == 1).any() and set(ids[obj == 0].ravel()) <= {0}
        rgb, ref = (cv2.imread(str(x / "rgb.png")).astype(float) for x in (d, p))
        diff = np.abs(rgb - ref).sum(-1)
        for k in set(np.unique(ids)) - {0}:
            inside = ids == k
            if inside.sum() >= 4:  # a defect that shows: its pixels changed, far more than elsewhere
                seen += 1
                assert diff[inside].mean() > 3 * diff[(obj == 1) & (ids == 0)].mean() + 1
    assert seen >= 2


def test_point_location_on_a_dense_mesh_matches_brute_force(tmp_path):
    path = tmp_path / "ball.ply"
    trimesh.creation.icosphere(subdivisions=5).export(path)  # 20,480 faces: the bucket grid is used
    m = mesh_file.load_unit_mesh(str(path))
    top = int(np.argmax(m.face_normals[:, 2]))
    part = UserMesh(path=str(path), up="z", sha256=m.sha256, size=30.0, patch=12.0,
                    anchor=(m.vertices[m.faces[top]].mean(0) * 30).tolist(), anchor_face=top,
                    frame=[[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]])
    c = chart.Chart(part)
    assert len(c.tri2) > 256
    uv = np.random.default_rng(0).uniform(-2, 14, (3000, 2))
    f, w, inside = c.locate(uv)
    # brute force: the triangle whose barycentric weights are all >= 0
    bary = np.stack([chart.barycentric(c.tri2, np.repeat(p[None], len(c.tri2), 0)).min(1) for p in uv[:300]])
    assert np.array_equal(inside[:300], bary.max(1) >= -1e-9)
    ok = inside[:300]
    assert (bary[np.nonzero(ok)[0], f[:300][ok]] >= -1e-9).all()
    p3, _ = c.lift(uv[inside])
    np.testing.assert_allclose(np.linalg.norm(p3 - [0, 0, 15], axis=1), 15, atol=0.05)  # on the ball
    assert 0.3 < inside.mean() < 0.9  # the chart covers the cap, not the whole square


def test_edge_defects_sit_on_the_meshs_sharp_edges():
    on_edges = 0
    for s in specs(6):
        c = chart.chart(s.part)
        seg = c.edge_segments()
        rng = np.random.default_rng(0)
        P = s.part.patch
        point, inward, _ = s.part.edge_anchor(rng, np.array([0.3 * P, 0.3 * P]), np.array([0.7 * P, 0.7 * P]))
        if len(seg):
            d = segment_distance(point[None], seg[:, 0], seg[:, 1])[0]
            if d < 1e-9:
                on_edges += 1
                assert c.contains((point + 0.05 * inward)[None])[0]  # inward points into the chart
    assert on_edges >= 3
