"""Geometry of dropped sets: whole blocks, connected components, block starts.

Masks are boolean *dropped* arrays of shape ``(masks, *spatial)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage

from ..gamma import seed_offset

__all__ = ["block_starts", "components", "start_range", "whole_blocks"]


def whole_blocks(dropped: np.ndarray, block: Sequence[int], seed_region: str) -> np.ndarray:
    """Per mask: is the dropped set a union of whole ``block``-sized boxes?

    The morphological opening by the box keeps exactly the union of boxes that
    fit inside the set, so it reproduces the set iff the set is such a union.
    ``seed_region="valid"``: boxes must lie inside the map; ``"full"``: boxes
    may be clipped by the border (the map is padded with dropped units).

    >>> d = np.zeros((2, 6, 6), bool); d[0, 1:4, 2:5] = True; d[1, 0:2, 0:3] = True
    >>> whole_blocks(d, (3, 3), "valid").tolist(), whole_blocks(d, (3, 3), "full").tolist()
    ([True, False], [True, True])
    """
    pad = [(0, 0)] + [(b - 1, b - 1) if seed_region == "full" else (0, 0) for b in block]
    padded = np.pad(dropped, pad, constant_values=seed_region == "full")
    opened: np.ndarray = ndimage.binary_opening(
        padded, structure=np.ones((1, *block), bool), border_value=0
    )
    crop = (slice(None),) + tuple(
        slice(lo, lo + s) for (lo, _), s in zip(pad[1:], dropped.shape[1:])
    )
    whole: np.ndarray = np.all((opened[crop] == dropped).reshape(len(dropped), -1), axis=1)
    return whole


def components(dropped: np.ndarray) -> tuple[np.ndarray, list[tuple[slice, ...]], np.ndarray]:
    """Connected dropped regions (face-connected, never across masks).

    Returns the mask index of each component, its bounding box (slices over
    ``(mask, *spatial)``) and whether it fills its bounding box.

    >>> d = np.zeros((2, 5, 5), bool); d[0, :2, :2] = True; d[1, 3:, 1:] = True; d[1, 0, 0] = True
    >>> owner, boxes, full = components(d)
    >>> owner.tolist(), [b[1:] for b in boxes][0], full.tolist()
    ([0, 1, 1], (slice(0, 2, None), slice(0, 2, None)), [True, True, True])
    """
    structure = ndimage.generate_binary_structure(dropped.ndim, 1)
    structure[0] = structure[2] = False  # no connection between masks
    labels, count = ndimage.label(dropped, structure=structure)
    boxes = ndimage.find_objects(labels)
    owner = np.array([b[0].start for b in boxes], dtype=np.int64)
    sizes = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    volumes = np.array([np.prod([s.stop - s.start for s in b[1:]]) for b in boxes], dtype=np.int64)
    return owner, list(boxes), sizes == volumes


def start_range(size: int, block: int, seed_region: str) -> tuple[int, int]:
    """Inclusive range of block starts (first covered index, before clipping).

    ``"valid"``: ``0 .. size-block``; ``"full"``: the seed is the block's
    centre (``block // 2`` after its start) and lies anywhere on the map.

    >>> start_range(12, 3, "valid"), start_range(12, 3, "full")
    ((0, 9), (-1, 10))
    """
    offset = seed_offset(block, seed_region)
    positions = size - block + 1 if seed_region == "valid" else size
    return -offset, positions - 1 - offset


def block_starts(
    box: Sequence[slice], spatial: Sequence[int], block: Sequence[int]
) -> tuple[int, ...] | None:
    """The start of the single (possibly border-clipped) block filling ``box``,
    or ``None`` when the box is not one block.

    >>> block_starts((slice(0, 2), slice(4, 7)), (8, 8), (3, 3))  # clipped at the top
    (-1, 4)
    >>> block_starts((slice(2, 4), slice(4, 7)), (8, 8), (3, 3)) is None  # too small inside
    True
    """
    starts = []
    for s, size, b in zip(box, spatial, block):
        extent = s.stop - s.start
        if extent == b:
            starts.append(s.start)
        elif extent < b and s.start == 0 and s.stop < size:
            starts.append(s.stop - b)
        elif extent < b and s.stop == size and s.start > 0:
            starts.append(s.start)
        else:
            return None
    return tuple(starts)
