"""Building blocks of recipe models: strict models and `[low, high]` ranges, and drawing from them.

A recipe is data: pydantic models that forbid unknown keys and out-of-range values. Every range
is written `[low, high]` and drawn uniformly per frame by the samplers.
"""

from typing import Annotated

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict


class Strict(BaseModel):
    # NaN and inf pass every `ge`/`le` bound (comparisons with NaN are false): refuse them here
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Bounds(tuple):
    """(lo, hi) that a range must lie within, kept on the field so tools (fit) can read it."""


def Range(lo: float, hi: float, kind: type = float):  # noqa: N802 - used like a type
    """A `[low, high]` pair of `kind` with lo <= low <= high <= hi."""

    def check(v):
        a, b = v
        if a > b:
            raise ValueError(f"low {a} is above high {b}")
        if a < lo or b > hi:
            raise ValueError(f"must lie within [{lo}, {hi}], got [{a}, {b}]")
        return v

    return Annotated[tuple[kind, kind], AfterValidator(check), Bounds((lo, hi))]


def IntRange(lo: int, hi: int):  # noqa: N802 - used like a type
    return Range(lo, hi, int)


def _check_resolution(v):
    w, h = v
    if not (8 <= w <= 16384 and 8 <= h <= 16384):
        raise ValueError(f"resolution must be within 8..16384 pixels a side, got {w}x{h}")
    return v


# width, height in pixels (a recipe's camera and a quality preset)
Resolution = Annotated[tuple[int, int], AfterValidator(_check_resolution)]


def uniform(rng: np.random.Generator, r) -> float:
    """One value of a range (its low end when the range is a single value: no draw then)."""
    return float(rng.uniform(r[0], r[1])) if r[0] < r[1] else float(r[0])
