"""Every random choice of a frame, drawn from the frame's named seed streams."""
