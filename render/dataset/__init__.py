"""Dataset tools: COCO splits read, written, validated, sliced, composed, augmented, described."""
