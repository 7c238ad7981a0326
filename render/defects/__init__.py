"""Defect types: one module each (recipe model, sampler, height field, footprint, refinement,
bbox), found and registered by render.defects.registry."""
