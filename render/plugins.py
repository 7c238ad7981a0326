"""Finding the part and defect types: every module of a package is imported, and each subclass
of the base that names its `type` is one type (so a new type is one new file)."""

import importlib
import pkgutil


def find_types(package: str, base: type) -> dict[str, type]:
    """type name -> class, in `draw_order` (the order a recipe's enabled types are drawn from)."""
    pkg = importlib.import_module(package)
    for m in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"{package}.{m.name}")
    found = [c for c in _subclasses(base) if "type" in c.__dict__]
    orders = [c.draw_order for c in found]
    if len(set(orders)) != len(orders):
        raise TypeError(f"{package}: types share a draw_order: {sorted((c.draw_order, c.type) for c in found)}")
    return {c.type: c for c in sorted(found, key=lambda c: c.draw_order)}


def _subclasses(cls) -> list[type]:
    return [s for sub in cls.__subclasses__() for s in (sub, *_subclasses(sub))]
