"""Blender-side modules: the only code that imports bpy.

Everything here is a deterministic function of a frame spec: no randomness, no decisions.
Lengths in specs are millimetres; the Blender scene is in metres (MM converts).
"""

MM = 0.001
