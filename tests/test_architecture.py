"""The house's rules: no import circle, the spec readable by a Blender without Python packages,
and a new part or defect type is one file."""

import ast
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

PACKAGES = ("render", "blender_scripts")


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    if parts[0] == "blender_scripts":  # its modules import each other as top-level names
        parts = parts[1:] or ("render_frames",)
    return ".".join(parts)


def import_graph() -> dict[str, set[str]]:
    """module -> the project's modules it imports anywhere in its code (function bodies too)."""
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]
    modules = {module_name(p): p for p in files}
    graph = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative import
                    pkg = name.split(".")[: len(name.split(".")) - node.level + is_package]
                    base = ".".join(pkg + ([base] if base else []))
                targets = [f"{base}.{a.name}" for a in node.names] + [base]
            else:
                continue
            for t in targets:
                while t and t not in modules:  # `from pkg import name`: the module that defines it
                    t = t.rpartition(".")[0]
                if t and t != name:
                    deps.add(t)
        graph[name] = deps
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for d in sorted(graph.get(m, ())):
            if state.get(d) == 1:
                return path[path.index(d):] + [d]
            if d not in state and (c := visit(d)):
                return c
        state[m] = 2
        path.pop()
        return None

    for m in sorted(graph):
        if m not in state and (c := visit(m)):
            return c
    return None


def test_the_import_graph_is_read():
    graph = import_graph()
    assert "render.frames" in graph["render.cluster"] and "render.spec" in graph["render_frames"]


def test_no_import_circle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_the_spec_module_needs_only_the_standard_library():
    """As on a render node: Blender's Python with the project folder and nothing installed."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import render.spec, render.files; "
            "bad = {'numpy', 'pydantic', 'yaml', 'scipy'} & set(sys.modules); assert not bad, bad")
    res = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(ROOT)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_each_type_is_one_module_and_the_recipe_schema_comes_from_the_registries():
    from render.config import DefectsRecipe, PartsRecipe
    from render.defects.registry import DEFECT_TYPES
    from render.parts.registry import PART_TYPES

    for types, schema in ((PART_TYPES, PartsRecipe), (DEFECT_TYPES, DefectsRecipe)):
        assert set(types) <= set(schema.model_fields)
        for cls in types.values():  # recipe model, sampler and geometry in one module
            assert cls.Recipe.__module__ == cls.__module__
    assert [c.draw_order for c in DEFECT_TYPES.values()] == sorted(c.draw_order for c in DEFECT_TYPES.values())


def test_the_readmes_new_defect_type_is_one_file(tmp_path):
    """The README's walk-through: its example module, dropped into a copy of the package, is a
    defect type that recipes name, frames sample and meshes carry."""
    import shutil

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Add a defect type"):]
    code = section[section.index("```python\n") + 10:section.index("```\n", section.index("```python"))]
    for folder in ("render", "configs"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "render" / "defects" / "spatter.py").write_text(code, encoding="utf-8")
    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: t\ncategories: [spatter]\nparts: {plate: {}}\ndefects: {count: [1, 1], spatter: {}}\n")
    check = ("import sys; sys.path.insert(0, sys.argv[1]); import numpy as np\n"
             "from render.config import load_quality, load_scene\n"
             "from render.sampling.frame import sample_frame_spec\n"
             "s = sample_frame_spec(load_scene(sys.argv[2]), load_quality('preview'), 0, 1)\n"
             "assert s.defects[0].shape.type == 'spatter'\n"
             "m = s.part.build_mesh(s.defects, s.mesh)\n"
             "assert (m.face_defect == 1).sum() > 20 and m.vertices[:, 2].max() > s.part.thickness\n")
    res = subprocess.run([sys.executable, "-c", check, str(tmp_path), str(recipe)], capture_output=True, text=True,
                         cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
