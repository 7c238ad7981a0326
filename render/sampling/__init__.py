from render.sampling.frame import sample_frame_spec

__all__ = ["sample_frame_spec"]
