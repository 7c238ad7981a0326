"""A stroke font for silkscreen designators and laser-marked part numbers: segments between the
corners and midpoints of a 1 x 2 box (a seven-segment display, a few diagonals)."""

import numpy as np

CORNERS = {"a": (0, 2), "b": (1, 2), "c": (0, 1), "d": (1, 1), "e": (0, 0), "f": (1, 0),
           "t": (0.5, 2), "m": (0.5, 1), "o": (0.5, 0)}
GLYPHS = {
    "0": "ab bf fe ea", "1": "bf", "2": "ab bd dc ce ef", "3": "ab bf fe cd", "4": "ac cd bf",
    "5": "ba ac cd df fe", "6": "ba ae ef fd dc", "7": "ab bf", "8": "ab bf fe ea cd", "9": "dc ca ab bf fe",
    "A": "ea ab bf cd", "C": "ba ae ef", "D": "ea ad df fe", "E": "ba ae ef cd", "F": "ea ab cd",
    "H": "ae bf cd", "J": "bf fe", "K": "ae cb cf", "L": "ae ef", "N": "ea af fb", "P": "ea ab bd dc",
    "Q": "ab bf fe ea df", "R": "ea ab bd dc cf", "S": "ba ac cd df fe", "U": "ae ef fb", "V": "af fb",
    "X": "af eb", "-": "cd", "+": "cd mt mo", "M": "ea am mb bf", "W": "ae em mf fb", "T": "ab to", "I": "to",
    "G": "ba ae ef fd dm", "B": "ab bf fe ea cd", "O": "ab bf fe ea", "Y": "am bm mo", "Z": "ab be ef", " ": "",
}


def text_strokes(text: str, height: float, origin=(0.0, 0.0), angle: float = 0.0) -> list[np.ndarray]:
    """Polylines (2D, mm) of the text, `height` tall, starting at origin, turned by angle."""
    scale = height / 2
    advance = 1.6 * scale
    c, s = np.cos(angle), np.sin(angle)
    rot = np.array([[c, -s], [s, c]])
    out = []
    for k, ch in enumerate(text.upper()):
        for seg in GLYPHS.get(ch, "").split():
            p = np.array([CORNERS[seg[0]], CORNERS[seg[1]]], float) * scale + [k * advance, 0.0]
            out.append(p @ rot.T + origin)
    return out


def text_width(text: str, height: float) -> float:
    return (1.6 * len(text) - 0.6) * height / 2
