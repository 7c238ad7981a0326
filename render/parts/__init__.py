"""Part types: one module each (its recipe model, sampler and geometry), found and registered by
render.parts.registry."""
