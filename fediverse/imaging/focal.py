"""The artist-set focal point: where a cropped thumbnail should stay centred.

Mastodon's convention (federated as ``toot:focalPoint`` ``[x, y]``): x and y in [-1, 1], (0, 0) the centre,
x = 1 the right edge, y = 1 the TOP edge. ``FocalPoint.from_pixels`` converts a click on the upright image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class FocalPoint:
    x: float = 0.0
    y: float = 0.0

    def __post_init__(self) -> None:
        for name, v in (("x", self.x), ("y", self.y)):
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
                raise ValueError(f"focal point {name} must be a number between -1 and 1")
            if not -1.0 <= v <= 1.0:
                raise ValueError(f"focal point {name} is {v}, outside -1 to 1")
            object.__setattr__(self, name, float(v))

    @classmethod
    def parse(cls, value: object) -> FocalPoint:
        """From "x,y", [x, y] or (x, y); raises ValueError with a clear message."""
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",")]
            try:
                nums = [float(p) for p in parts]
            except ValueError:
                raise ValueError(f"focal point {value!r} is not two numbers like '0.25,-0.5'") from None
        elif isinstance(value, (list, tuple)):
            nums = list(value)
        else:
            raise ValueError("focal point must be two numbers x,y between -1 and 1")
        if len(nums) != 2:
            raise ValueError("focal point must be two numbers x,y between -1 and 1")
        return cls(nums[0], nums[1])

    @classmethod
    def from_pixels(cls, px: float, py: float, width: int, height: int) -> FocalPoint:
        """From a pixel position on the upright image (origin top-left), clamped to the image."""
        if width <= 0 or height <= 0:
            raise ValueError("image size must be positive")
        x = max(0.0, min(float(width), px)) / width * 2 - 1
        y = 1 - max(0.0, min(float(height), py)) / height * 2
        return cls(round(x, 4), round(y, 4))

    def as_list(self) -> list[float]:
        """For JSON / AS2 ``focalPoint``."""
        return [self.x, self.y]
