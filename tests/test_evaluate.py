"""Smoke tests of the downstream check: the loops run and metrics come out (not that they are high)."""

import json

import pytest
from splits import toy_split

from render.errors import UserError

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install -e '.[eval]')")

from render.evaluate.runner import evaluate  # noqa: E402


@pytest.fixture
def splits(tmp_path):
    train = toy_split(tmp_path / "train", ["crack", "fray"], 6, size=(96, 80), seed=1)
    val = toy_split(tmp_path / "val", ["crack", "fray"], 3, size=(96, 80), seed=2)
    return train, val


def test_unet_smoke_and_repeatable(tmp_path, splits):
    train, val = splits
    a = evaluate([train], val, tmp_path / "a", model="unet", iters=15, size=48, seed=3, log=lambda *_: None)
    b = evaluate([train], val, tmp_path / "b", model="unet", iters=15, size=48, seed=3, log=lambda *_: None)
    assert set(a["segm"]) >= {"AP", "AP50", "AP75"} and 0 <= a["segm"]["AP"] <= 1
    assert a["segm"] == b["segm"] and a["predictions"] == b["predictions"]
    assert json.loads((tmp_path / "a" / "metrics.json").read_text())["model"] == "unet"
    assert (tmp_path / "a" / "pred_01.png").exists()


def test_maskrcnn_smoke(tmp_path, splits):
    pytest.importorskip("torchvision", reason="torchvision is not installed (pip install -e '.[eval]')")
    train, val = splits
    m = evaluate([train], val, tmp_path / "m", model="maskrcnn", iters=2, size=96, seed=0, log=lambda *_: None)
    assert m["model"] == "maskrcnn" and 0 <= m["bbox"]["AP"] <= 1 and m["train_images"] == 6


def test_train_and_val_never_mix(tmp_path, splits):
    train, _ = splits
    with pytest.raises(UserError, match="both a train and the val split"):
        evaluate([train], train, tmp_path / "x", model="unet", iters=1, size=32)


def test_small_classes_weigh_more_by_the_root_of_their_pixel_share():
    import numpy as np

    from render.evaluate.unet import class_weights

    big = np.zeros((100, 100), np.int64)
    big[:50] = 2  # class 2: 5,000 px
    small = np.zeros((100, 100), np.int64)
    small[:5, :10] = 1  # class 1: 50 px, 100x fewer
    w = class_weights([big, small], n_classes=3, defect_weight=5.0)
    assert w[0] == 1.0 and w[2] == 5.0  # background; the class with the most pixels
    assert w[1] == pytest.approx(50.0)  # sqrt(100) = 10x, at the cap
    assert w[3] == 5.0  # absent from the train split: the base weight
    tiny = np.zeros((100, 100), np.int64)
    tiny[0, 0] = 1  # 5,000x fewer: held at 10x
    assert class_weights([big, tiny], 3, 5.0)[1] == pytest.approx(50.0)


def test_saved_weights_give_the_same_predictions(tmp_path, splits):
    from render.evaluate.data import load_samples
    from render.evaluate.unet import UNet, predict_unet

    train, val = splits
    r = evaluate([train], val, tmp_path / "a", model="unet", iters=30, size=48, seed=1, log=lambda *_: None)
    state = torch.load(tmp_path / "a" / "weights.pt")
    net = UNet(state["head.weight"].shape[0], state["down.0.0.weight"].shape[1])
    net.load_state_dict(state)
    found = [p for smp in load_samples(val, ["crack", "fray"]) for p in predict_unet(net, smp.image)]
    assert len(found) == r["predictions"]
