import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SHARED_DATA = ROOT.parent / "shared" / "data"

HAS_BPY = importlib.util.find_spec("bpy") is not None


def pytest_collection_modifyitems(config, items):
    if HAS_BPY:
        return
    skip = pytest.mark.skip(reason="the bpy module is not installed (make install)")
    for item in items:
        if "blender" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def tiny_recipe():
    from render.config import load_scene

    return load_scene(DATA / "tiny_scene.yaml")


@pytest.fixture
def tiny_quality():
    from render.config import load_quality

    return load_quality("preview", resolution=(96, 96), samples=4)
