"""defectsynth: synthetic training data for industrial defect instance segmentation.

The `render` package is the Python side: it never imports bpy. Everything random is decided
here; blender_scripts/ turns the resulting frame specs into pixels.
"""

__version__ = "0.1.0"
