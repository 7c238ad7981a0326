"""Downstream check: train a detector on (synthetic) splits, score it on real images."""
