"""Stable seeding: root seed -> frame seed -> named sub-streams.

numpy's SeedSequence mixes (entropy, spawn_key) with a documented, version-stable hash, so the
same root seed gives the same numbers on every machine. Sub-streams are keyed by a CRC of
their name (never Python's salted hash()), so adding a new stream shifts no other stream.
"""

import zlib

import numpy as np


def _stream_key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def frame_seed(root_seed: int, frame_index: int) -> int:
    """A 31-bit seed for one frame (also used as the Cycles noise seed)."""
    seq = np.random.SeedSequence(entropy=int(root_seed), spawn_key=(int(frame_index),))
    return int(seq.generate_state(1, dtype=np.uint32)[0] & 0x7FFFFFFF)


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent generator for one aspect (camera, lights, defects...) of one frame."""
    return np.random.default_rng(np.random.SeedSequence(entropy=int(seed), spawn_key=(_stream_key(name),)))
