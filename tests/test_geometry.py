import numpy as np
import pytest
import trimesh
from specs import build_mesh, part_of, shape_of

PLATE = {"type": "plate", "width": 40.0, "length": 30.0, "thickness": 5.0}
CYL = {"type": "cylinder", "radius": 10.0, "height": 30.0, "seam_angle": 3.0}
SCRATCH = {"id": 1, "category": "scratch", "type": "scratch", "points": [[10, 10], [18, 14], [26, 15]],
           "width": 0.4, "depth": 0.1, "profile": "v", "lip_height": 0.3, "lip_width": 0.5}
DENT = {"id": 2, "category": "dent", "type": "dent", "center": [30, 20], "radius": 3.0, "depth": 0.5,
        "falloff": 2.0, "elongation": 1.5, "angle": 0.4}
MESH = {"base_segments": 80, "across_groove": 5, "min_spacing": 0.005}


def mesh_for(part, defects):
    return build_mesh(part, defects, **MESH)


def test_groove_is_resolved_by_fine_edges():
    m = mesh_for(PLATE, [SCRATCH])
    tm = m.to_trimesh()
    groove_faces = m.face_defect == 1
    edges = tm.edges_unique_length[np.unique(tm.faces_unique_edges[groove_faces])]
    # edges well below the groove width (across_groove=5 asks for ~5 edges across it)
    assert edges.max() <= SCRATCH["width"] / 3
    far_edges = tm.edges_unique_length[np.unique(tm.faces_unique_edges[m.face_smooth & ~groove_faces])]
    assert far_edges.max() > 5 * edges.max()  # refinement is local, the rest stays coarse


def test_surface_has_no_cracks():
    for part, defects in ((PLATE, [SCRATCH, DENT]), (CYL, [SCRATCH])):
        m = mesh_for(part, defects)
        top = trimesh.Trimesh(m.vertices, m.faces[m.face_smooth], process=False)
        edges, counts = np.unique(np.sort(top.edges, axis=1), axis=0, return_counts=True)
        assert counts.max() == 2
        # conforming: the only open edges are the outline of the surface, no T-junction cracks
        open_v = m.vertices[edges[counts == 1].ravel()]
        if part["type"] == "plate":
            on_outline = np.isclose(np.abs(open_v[:, 0]), part["width"] / 2) | np.isclose(
                np.abs(open_v[:, 1]), part["length"] / 2)
        else:  # closed around the seam: only the two rims are open
            on_outline = np.isclose(open_v[:, 2], 0) | np.isclose(open_v[:, 2], part["height"])
        assert on_outline.all()


def test_displacement_matches_the_profiles():
    m = mesh_for(PLATE, [SCRATCH, DENT])
    top_z = PLATE["thickness"]
    # deepest point of the dent is its depth below the surface
    near_dent = np.linalg.norm(m.uv - DENT["center"], axis=1) < 0.3
    assert np.isclose(m.vertices[near_dent, 2].min(), top_z - DENT["depth"], atol=0.02)
    # the groove bottom at the middle of the curve (full taper) is its depth down
    assert np.isclose(shape_of(SCRATCH).displacement(np.array([[18.0, 14.0]]))[0], -SCRATCH["depth"], atol=0.005)
    near_mid = np.linalg.norm(m.uv - [18.0, 14.0], axis=1) < 0.3
    assert np.isclose(m.vertices[near_mid, 2].min(), top_z - SCRATCH["depth"], atol=SCRATCH["depth"] / 5)
    # lips rise above the surface
    assert m.vertices[:, 2].max() > top_z + 0.5 * SCRATCH["lip_height"] * SCRATCH["depth"]


def test_face_ids_follow_the_footprints():
    m = mesh_for(PLATE, [SCRATCH, DENT])
    c = m.uv[m.faces].mean(axis=1)
    for d in (SCRATCH, DENT):
        inside = shape_of(d).footprint(c) & m.face_smooth
        assert np.array_equal(m.face_defect == d["id"], inside)
    assert (m.face_defect[~m.face_smooth] == 0).all()


@pytest.mark.parametrize("part", [PLATE, CYL])
def test_normals_point_outward(part):
    m = mesh_for(part, [])
    tm = m.to_trimesh()
    center = np.array([0, 0, part.get("thickness", part.get("height", 0)) / 2])
    outward = np.einsum("ij,ij->i", tm.face_normals, tm.triangles_center - center)
    assert (outward > 0).mean() > 0.99


PART_RECIPES = {"plate": "{width: [30, 50], length: [30, 50], thickness: [3, 6]}",
                "cylinder": "{radius: [10, 16], height: [25, 40]}",
                "tile": "{radius: [20, 40], width: [14, 28], length: [20, 40], thickness: [3, 6]}"}


@pytest.mark.parametrize("kind", ["chip", "collision", "burr", "gap", "uneven"])
@pytest.mark.parametrize("part", sorted(PART_RECIPES))
def test_new_defect_types_mesh_on_every_part_type(kind, part, tmp_path):
    from render.config import load_quality, load_scene
    from render.sampling.frame import sample_frame_spec

    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"name: t\ncategories: [{kind}]\nparts: {{{part}: {PART_RECIPES[part]}}}\n"
                      f"defects: {{count: [1, 1], {kind}: {{}}}}\n")
    r, q = load_scene(recipe), load_quality("preview")
    for i in range(1, 4):
        spec = sample_frame_spec(r, q, 0, i)
        m = spec.part.build_mesh(spec.defects, spec.mesh)
        assert np.isfinite(m.vertices).all() and m.faces.max() < len(m.vertices)
        (d,) = spec.defects
        assert (m.face_defect == d.id).sum() > 20, (i, d.shape.type)
        U, V = spec.part.surface_extent()
        if kind == "chip":  # broken off at an edge of the surface
            c = np.asarray(d.shape.center)
            edge = min(c[1], V - c[1]) if spec.part.periodic_u else min(*c, U - c[0], V - c[1])
            assert edge <= 0.5 * d.shape.radius


GROOVED = {"grooved plate": ("plate", "{grooves: {count: [3, 5], width: [1, 2], depth: [0.4, 1]}}"),
           "threaded shaft": ("cylinder", "{radius: [6, 8], height: [20, 25], grooves: {count: [12, 16], "
                                          "width: [0.6, 0.9], depth: [0.3, 0.4], profiles: [v]}}"),
           "helical thread": ("cylinder", "{radius: [6, 8], height: [20, 25], grooves: {count: [12, 16], "
                                          "width: [0.6, 0.9], depth: [0.3, 0.4], profiles: [v], helix: true}}"),
           "housing panel": ("plate", "{thickness: [4, 5], grooves: {count: [1, 2], width: [0.3, 0.6], "
                                      "profiles: [flat]}, holes: {count: [3, 4], size: [4, 8]}}")}


@pytest.mark.parametrize("name", sorted(PART_RECIPES) + ["ring", "dome", *GROOVED])
def test_every_part_mesh_is_closed_and_faces_outwards(name, tmp_path):
    from render.config import load_quality, load_scene
    from render.sampling.frame import sample_frame_spec

    part, body = GROOVED.get(name, (name, PART_RECIPES.get(name, "{}")))
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"name: t\ncategories: [scratch, chip]\nparts: {{{part}: {body}}}\n"
                      "defects: {count: [2, 2], scratch: {}, chip: {category: chip}}\n")
    r, q = load_scene(recipe), load_quality("preview")
    for i in (1, 2):
        spec = sample_frame_spec(r, q, 0, i)
        m = spec.part.build_mesh(spec.defects, spec.mesh)
        tm = trimesh.Trimesh(m.vertices, m.faces, process=True)
        assert tm.is_watertight and tm.is_winding_consistent and tm.volume > 0, (name, i)
        if name in GROOVED:  # the grooves are cut into the surface
            assert len(spec.part.grooves.positions) >= (1 if "holes" in body else 3)
            assert len(spec.part.holes) >= (3 if "holes" in body else 0)
            assert m.vertices[:, 2 if part == "plate" else 0].min() < getattr(spec.part, "thickness", 99)


def test_a_helical_thread_climbs_one_pitch_per_turn_and_closes_at_the_seam():
    part = {"type": "cylinder", "radius": 6.0, "height": 20.0, "seam_angle": 0.0,
            "grooves": {"axis": "u", "positions": [2.0, 4.0, 6.0], "width": 1.0, "depth": 0.4, "profile": "v",
                        "lead": 2.0}}
    U = part_of(part).surface_extent()[0]
    uv = np.array([[0.0, 4.0], [U / 2, 5.0], [U / 4, 4.5], [U / 2, 4.0], [U - 1e-9, 6.0]])
    h = part_of(part).groove_height(uv)
    np.testing.assert_allclose(h[:3], -0.4)  # the groove's bottom line rises along u
    assert h[3] == 0.0  # half a turn on, the old height is between turns
    np.testing.assert_allclose(h[4], -0.4)  # one turn on, one pitch up: the next turn
    m = mesh_for(part, [])
    tm = trimesh.Trimesh(m.vertices, m.faces, process=True)
    assert tm.is_watertight and tm.is_winding_consistent  # the thread's ends at the seam leave no crack


def test_button_holes_are_recessed_dark_and_never_carry_a_defect():
    hole = {"center": [20.0, 15.0], "size": [8.0, 5.0], "corner": 1.0, "wall": 0.2, "depth": 2.0}
    part = {**PLATE, "holes": [hole]}
    stain = {"id": 1, "category": "dirt", "type": "stain", "center": [20.0, 15.0], "radius": 8.0,
             "elongation": 1.0, "angle": 0.0, "wobble": [0, 0, 0, 0], "phases": [0, 0, 0, 0], "darken": 0.3}
    m = mesh_for(part, [stain])
    z = m.vertices[:, 2]
    assert z[np.unique(m.faces[m.face_smooth])].min() == pytest.approx(PLATE["thickness"] - 2.0)  # the floor
    c = m.uv[m.faces].mean(1)
    in_hole = (np.abs(c[:, 0] - 20) < 3.5) & (np.abs(c[:, 1] - 15) < 2) & (z[m.faces].max(1) < 4.9) & m.face_smooth
    assert in_hole.sum() > 10
    assert (m.face_defect[in_hole] == 0).all()  # the stain over it is not masked in the hole
    assert (m.face_darken[in_hole] == pytest.approx(0.85))
    assert (m.face_defect == 1).sum() > 50  # but it is around it
    assert not part_of(part).surface_valid(np.array([[20.0, 15.0], [23.9, 15.0]])).any()
    assert part_of(part).surface_valid(np.array([[5.0, 5.0]])).all()


def test_a_scratch_cluster_is_one_instance_over_all_its_strands():
    strand = {"points": [[10, 13], [18, 17], [26, 18]], "width": 0.3, "depth": 0.08}
    cluster = {**SCRATCH, "lip_height": 0.0, "strands": [strand]}
    m = mesh_for(PLATE, [cluster])
    c = m.uv[m.faces].mean(1)
    marked = m.face_defect == 1
    near = [np.min(np.linalg.norm(c[:, None] - np.asarray(p, float)[None], axis=2), axis=1) < 0.3
            for p in (SCRATCH["points"], strand["points"])]
    assert (marked & near[0]).sum() > 20 and (marked & near[1]).sum() > 20  # both strands, one id
    h = shape_of(cluster).displacement(np.array([[18.0, 17.0], [18.0, 14.0], [18.0, 15.5]]))
    assert h[0] < -0.05 and h[1] < -0.05 and h[2] == 0.0  # each strand cut; between them, none
