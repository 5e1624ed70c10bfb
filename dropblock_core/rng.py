"""The reproducible seed stream: which positions of a seed grid hold a seed.

Specification (``docs/rng.md`` has the full text and known-answer vectors):

1. **Key.** ``seed`` (an integer in [0, 2**64)) gives the base key
   ``(seed mod 2**32, seed // 2**32)``. ``step`` and ``replica`` (integers in
   [0, 2**32)) give the mask key ``K = threefry2x32(base key, (step, replica))``.
2. **Groups.** The seed grid (``(batch, channels, *seed_grid)``, C order, size 1
   along shared axes) is flattened; position ``p`` belongs to group
   ``g = p // 32`` at bit ``j = p % 32``. Group ``g`` reads the words
   ``w(g, r) = threefry2x32(K, (g, r // 2))[r % 2]`` for rounds ``r = 0, 1, ...``.
3. **Gaps.** Thresholds ``C[i] = min(floor(2**32 * -expm1((i+1) * log1p(-gamma))), 2**32-1)``,
   ``i = 0..31``, are computed once on the host in double precision. A word's
   gap is ``#{i : C[i] <= w}`` (``0..32``), i.e. a geometric variate by integer
   comparison. Starting at ``pos = -1``, each round sets
   ``pos = pos + 1 + gap(w(g, r))``; while ``pos < 32`` bit ``pos`` is a seed and
   the next round follows, otherwise the group is done. Every position is thus
   a seed independently with probability gamma (to 2**-32).

The numbers depend only on (key, counter), so a sparse evaluation (NumPy:
only groups that still need a word) and a dense one (any namespace, also under
``jax.jit``) give the same bits.
"""

from __future__ import annotations

import functools
import math
from types import ModuleType
from typing import Any

import numpy as np

from ._namespace import is_jax_namespace, is_lazy_array, word_dtype
from ._validation import check_uint
from .graph_gamma import gap_thresholds_xp
from .native import GroupBits
from .threefry import MASK32, threefry2x32, threefry2x32_numpy

__all__ = [
    "GROUP",
    "MAX_POSITIONS",
    "LAYER_TAG",
    "bits_all_rounds",
    "bits_round_by_round",
    "gap_thresholds",
    "gaps",
    "initial_state",
    "layer_seed",
    "mask_key",
    "seed_bits",
    "seed_indices_numpy",
    "take_round",
]

GROUP = 32
MAX_POSITIONS = GROUP * 2**32
LAYER_TAG = 0x4C415952  # "LAYR": the second counter word of a layer seed


def gap_thresholds(gamma: float) -> np.ndarray:
    """``C[i] = P(gap <= i) * 2**32`` as ``uint32``, for ``i = 0..31``.

    Parameters
    ----------
    gamma : float
        The seed probability, in [0, 1] (not checked here).

    Returns
    -------
    numpy.ndarray
        The 32 thresholds, non-decreasing, capped at ``2**32 - 1`` (all of
        them for ``gamma >= 1``), computed in double precision.

    Examples
    --------
    >>> gap_thresholds(0.5)[:3].tolist()
    [2147483648, 3221225472, 3758096384]
    """
    i = np.arange(1, GROUP + 1, dtype=np.float64)
    if gamma >= 1.0:
        prob = np.ones(GROUP)
    else:
        prob = -np.expm1(i * math.log1p(-gamma))
    return np.minimum(np.floor(prob * 2.0**32), float(MASK32)).astype(np.uint32)


def mask_key(
    seed: Any, step: Any = 0, replica: Any = 0, *, xp: ModuleType | None = None
) -> tuple[Any, Any]:
    """The mask key ``K`` for (seed, step, replica).

    Python ints give Python ints; integer arrays (e.g. JAX tracers) give 0-d
    word arrays of ``xp`` (their values are taken modulo 2**32). ``seed`` may
    also be a pair ``(low, high)`` of words: the base key itself, the same as
    the seed ``low + high * 2**32``.

    Parameters
    ----------
    seed : int, pair of words or integer array
        The seed, in [0, 2**64), or the pair ``(low, high)`` of its words.
    step : int or integer array, default 0
        The first counter word.
    replica : int or integer array, default 0
        The second counter word.
    xp : module or None, default None
        The namespace of array arguments; needed when one is not a Python int.

    Returns
    -------
    tuple
        The two 32-bit words of ``K``: Python ints, or 0-d word arrays of ``xp``.

    Examples
    --------
    >>> [hex(k) for k in mask_key(0, 0, 0)]
    ['0x6b200159', '0x99ba4efe']
    >>> mask_key((5, 1), 2, 0) == mask_key(5 + 2**32, 2, 0)
    True
    """
    if isinstance(seed, tuple) and all(isinstance(v, int) for v in seed):
        seed = seed[0] | seed[1] << 32
    if all(isinstance(v, int) for v in (seed, step, replica)):
        x0, x1 = threefry2x32_numpy(
            (seed & MASK32, seed >> 32),
            np.array([step], dtype=np.uint32),
            np.array([replica], dtype=np.uint32),
        )
        return int(x0[0]), int(x1[0])
    assert xp is not None
    word = word_dtype(xp)

    def as_word(v: Any) -> Any:
        if isinstance(v, int):
            return xp.asarray(v & MASK32, dtype=word)
        return xp.astype(v, word) & MASK32 if word != xp.uint32 else xp.astype(v, word)

    if isinstance(seed, tuple):
        low, high = as_word(seed[0]), as_word(seed[1])
    else:
        low, high = as_word(seed), (seed >> 32 if isinstance(seed, int) else 0)
    return threefry2x32((low, high), (as_word(step), as_word(replica)), xp=xp)


def layer_seed(seed: int, layer_id: int) -> int:
    """The seed that layer ``layer_id`` of a model draws its masks from.

    Layer 0 uses ``seed`` itself (so a lone layer's masks are those of
    :func:`dropblock_core.sample_mask` with ``seed``); layer ``i > 0`` uses
    ``x0 | x1 << 32`` with ``(x0, x1) = threefry2x32((seed mod 2**32,
    seed // 2**32), (i, 0x4C415952))``. Layers given one seed thus draw
    independent masks.

    Parameters
    ----------
    seed : int
        The model's seed, in [0, 2**64).
    layer_id : int
        The layer's number, in [0, 2**32).

    Returns
    -------
    int
        The layer's seed, in [0, 2**64).

    Raises
    ------
    TypeError
        If ``seed`` or ``layer_id`` is not an int.
    ValueError
        If ``seed`` or ``layer_id`` is out of its range.

    Examples
    --------
    >>> layer_seed(7, 0)
    7
    >>> hex(layer_seed(0, 1))
    '0x...'
    >>> layer_seed(0, 1) != layer_seed(0, 2)
    True
    """
    seed = check_uint(seed, "seed", 64)
    layer_id = check_uint(layer_id, "layer_id", 32)
    if layer_id == 0:
        return seed
    x0, x1 = threefry2x32_numpy(
        (seed & MASK32, seed >> 32),
        np.array([layer_id], dtype=np.uint32),
        np.array([LAYER_TAG], dtype=np.uint32),
    )
    return int(x0[0]) | int(x1[0]) << 32


@functools.lru_cache(maxsize=64)
def _gap_table(gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """Thresholds and, per top-16-bit bucket of a word, its gap (255 where a
    threshold falls inside the bucket and the low bits decide)."""
    thresholds = gap_thresholds(gamma)
    buckets = np.arange(1 << 16, dtype=np.uint32) << np.uint32(16)
    lo = np.searchsorted(thresholds, buckets, side="right")
    hi = np.searchsorted(thresholds, buckets | np.uint32(0xFFFF), side="right")
    table = np.where(lo == hi, lo, 255).astype(np.uint8)
    thresholds.flags.writeable = table.flags.writeable = False
    return thresholds, table


def _gaps(thresholds: np.ndarray, table: np.ndarray, words: np.ndarray) -> np.ndarray:
    """``#{i : C[i] <= w}`` per word: a table lookup, exact search where ambiguous."""
    gaps: np.ndarray = table[words >> np.uint32(16)]
    ambiguous = np.flatnonzero(gaps == 255)
    if ambiguous.size:
        gaps[ambiguous] = np.searchsorted(thresholds, words[ambiguous], side="right")
    return gaps


def seed_indices_numpy(key: tuple[int, int], gamma: float, total: int) -> np.ndarray:
    """Sorted flat indices of the seeds among ``total`` positions (NumPy, sparse).

    Only groups that still need a word are evaluated; the bits are those of
    the dense :func:`seed_bits`.

    Parameters
    ----------
    key : tuple of int
        The mask key ``K`` (:func:`mask_key`).
    gamma : float
        The seed probability, in [0, 1].
    total : int
        The number of positions (the flattened seed grid).

    Returns
    -------
    numpy.ndarray
        The seeds' positions, sorted, ``int64``.

    Examples
    --------
    >>> seed_indices_numpy(mask_key(0, 0, 0), 0.1, 100).tolist()
    [36, 37, 47, 69, 72, 79, 80, 98]
    """
    thresholds, table = _gap_table(gamma)
    last = thresholds[-1]
    groups = np.arange(-(-total // GROUP), dtype=np.uint32)
    w0, w1 = threefry2x32_numpy(key, groups, np.zeros_like(groups))
    g = np.flatnonzero(w0 < last)  # groups holding at least one seed
    pos = _gaps(thresholds, table, w0[g]).astype(np.int64)
    found = [g * GROUP + pos]
    spare = w1[g]  # the word of the odd round, already computed
    r = 1
    while True:
        alive = pos < GROUP - 1
        g, pos = g[alive], pos[alive]
        if g.size == 0:
            break
        if r % 2:
            words = spare[alive]
        else:
            words, spare = threefry2x32_numpy(
                key, g.astype(np.uint32), np.full(g.shape, r // 2, dtype=np.uint32)
            )
        pos = pos + 1 + _gaps(thresholds, table, words)
        inside = pos < GROUP
        g, pos = g[inside], pos[inside]
        if r % 2 == 0:
            spare = spare[inside]
        found.append(g * GROUP + pos)
        r += 1
    seeds = np.sort(np.concatenate(found), kind="stable")  # merges the sorted rounds
    return seeds[seeds < total]


def seed_bits(
    key: tuple[Any, Any],
    gamma: float | Any,
    total: int | Any,
    *,
    device: Any = None,
    group_bits: GroupBits | None = None,
    xp: ModuleType,
) -> Any:
    """Boolean seed indicator of length ``total`` on ``xp`` (dense evaluation).

    ``gamma`` is a Python float (thresholds from the host) or a 0-d array
    (thresholds computed in the graph). The seed bits of each group come from
    ``group_bits``, a namespace's native loop (which one is decided by
    :func:`dropblock_core._dispatch.mask_path`), else from standard
    operations: eager arrays draw words round by round and stop once no
    group needs another; lazy arrays draw all 32 rounds in one vectorised
    call (a static shape, one small graph). All give the same bits.

    Parameters
    ----------
    key : tuple
        The mask key ``K``: Python ints or 0-d word arrays of ``xp``.
    gamma : float or 0-d array
        The seed probability, in [0, 1]: a Python float (thresholds from the
        host) or a 0-d array, possibly traced (thresholds in the graph).
    total : int
        The number of positions (the flattened seed grid).
    device : device or None, default None
        Where the indicator is made.
    group_bits : GroupBits or None, default None
        The namespace's native seed loop; None: standard operations.
    xp : module
        The array namespace to compute in.

    Returns
    -------
    array
        Boolean, shape ``(total,)``: True at the seeds.

    Examples
    --------
    >>> import numpy as np
    >>> from dropblock_core._namespace import default_namespace
    >>> bits = seed_bits(mask_key(0, 0, 0), 0.1, 100, xp=default_namespace())
    >>> np.flatnonzero(bits).tolist()  # the same as seed_indices_numpy
    [36, 37, 47, 69, 72, 79, 80, 98]
    """
    word = word_dtype(xp)
    n_groups = -(-total // GROUP)
    if isinstance(gamma, float):
        thresholds = xp.asarray(gap_thresholds(gamma).astype(np.int64), dtype=word, device=device)
    else:
        thresholds = gap_thresholds_xp(gamma, xp=xp)
    groups = xp.arange(n_groups, dtype=word, device=device)
    one = xp.asarray(1, dtype=word, device=device)
    if group_bits is not None:
        bits = group_bits(key, thresholds, groups, device=device, xp=xp)
    elif is_lazy_array(groups) or not isinstance(key[0], int):
        bits = bits_all_rounds(key, thresholds, groups, device=device, xp=xp)
    else:
        bits = bits_round_by_round(key, thresholds, groups, device=device, xp=xp)
    if not isinstance(gamma, float):  # gamma == 1: every position is a seed
        bits = xp.where(gamma >= 1.0, xp.full_like(bits, MASK32), bits)
    lanes = xp.arange(GROUP, dtype=word, device=device)
    dense = (xp.bitwise_right_shift(bits[:, None], lanes[None, :]) & one) != 0
    return xp.reshape(dense, (n_groups * GROUP,))[:total]


def gaps(words: Any, thresholds: Any, *, xp: ModuleType) -> Any:
    """``#{i : C[i] <= w}`` per word, as ``int32``: a binary search where the
    namespace has one, 32 fused comparisons on JAX (XLA lowers searchsorted
    to a sequential scan) and on namespaces without ``searchsorted``.

    Parameters
    ----------
    words : array
        The words, of ``xp``'s word dtype.
    thresholds : array
        The 32 thresholds ``C`` (:func:`gap_thresholds`), as words of ``xp``.
    xp : module
        The array namespace.

    Returns
    -------
    array
        ``int32`` gaps in ``0..32``, of ``words``' shape.

    Examples
    --------
    >>> import numpy as np
    >>> from dropblock_core._namespace import default_namespace
    >>> xp = default_namespace()
    >>> words = xp.asarray([0, 2**31, 3 * 2**30, 2**32 - 1], dtype=xp.uint32)
    >>> gaps(words, xp.asarray(gap_thresholds(0.5)), xp=xp).tolist()
    [0, 1, 2, 32]
    """
    if is_jax_namespace(xp) or not hasattr(xp, "searchsorted"):
        return xp.sum(xp.astype(words[..., None] >= thresholds, xp.int32), axis=-1, dtype=xp.int32)
    flat = xp.searchsorted(thresholds, xp.reshape(words, (-1,)), side="right")
    return xp.reshape(xp.astype(flat, xp.int32), words.shape)


def bits_all_rounds(
    key: tuple[Any, Any], thresholds: Any, groups: Any, *, device: Any = None, xp: ModuleType
) -> Any:
    """Seed bits of every group from all 32 words at once: positions are the
    cumulative sums of (gap + 1), and a round counts while its position < 32.

    Parameters
    ----------
    key : tuple
        The mask key ``K``: Python ints or 0-d word arrays of ``xp``.
    thresholds : array
        The 32 thresholds, as words of ``xp``.
    groups : array
        The group numbers, 1-d, of ``xp``'s word dtype.
    device : device or None, default None
        Where intermediate arrays are made.
    xp : module
        The array namespace.

    Returns
    -------
    array
        One word per group: bit ``j`` set where position ``j`` is a seed.

    Examples
    --------
    >>> from dropblock_core._namespace import default_namespace
    >>> xp = default_namespace()
    >>> groups = xp.arange(2, dtype=xp.uint32)
    >>> thresholds = xp.asarray(gap_thresholds(0.5))
    >>> bits = bits_all_rounds(mask_key(0), thresholds, groups, xp=xp)
    >>> [hex(b) for b in bits.tolist()]
    ['0x478815e0', '0xe1ff858b']
    """
    word = groups.dtype
    pairs = xp.arange(GROUP // 2, dtype=word, device=device)
    c0 = xp.broadcast_to(groups[:, None], (groups.shape[0], GROUP // 2))
    c1 = xp.broadcast_to(pairs[None, :], (groups.shape[0], GROUP // 2))
    w0, w1 = threefry2x32(key, (c0, c1), xp=xp)
    words = xp.reshape(xp.stack((w0, w1), axis=2), (groups.shape[0], GROUP))
    steps = gaps(words, thresholds, xp=xp) + 1
    pos = xp.cumulative_sum(steps, axis=1) - 1
    hit = pos < GROUP
    shift = xp.astype(xp.where(hit, pos, 0), word)
    one = xp.asarray(1, dtype=word, device=device)
    zero = xp.asarray(0, dtype=word, device=device)
    # Positions strictly increase, so the bits are distinct and a sum is an OR.
    return xp.sum(xp.where(hit, xp.bitwise_left_shift(one, shift), zero), axis=1, dtype=word)


def initial_state(
    n_groups: int | Any, word: Any, *, device: Any = None, xp: ModuleType
) -> tuple[Any, Any, Any]:
    """``(pos, bits, alive)`` before the first round: position -1, no seed, all alive.

    Parameters
    ----------
    n_groups : int
        The number of groups.
    word : dtype
        The word dtype of ``bits``.
    device : device or None, default None
        Where the arrays are made.
    xp : module
        The array namespace.

    Returns
    -------
    tuple of array
        ``pos`` (``int32``, all -1), ``bits`` (``word``, all 0) and ``alive``
        (bool, all True), each of shape ``(n_groups,)``.

    Examples
    --------
    >>> from dropblock_core._namespace import default_namespace
    >>> xp = default_namespace()
    >>> [a.tolist() for a in initial_state(2, xp.uint32, xp=xp)]
    [[-1, -1], [0, 0], [True, True]]
    """
    pos = xp.full((n_groups,), -1, dtype=xp.int32, device=device)
    bits = xp.zeros((n_groups,), dtype=word, device=device)
    return pos, bits, xp.ones((n_groups,), dtype=xp.bool, device=device)


def take_round(
    words: Any, thresholds: Any, state: tuple[Any, ...], *, xp: ModuleType
) -> tuple[Any, Any, Any]:
    """One round of every group: advance by ``1 + gap``; a position < 32 of a
    live group is a seed; the group stays alive while a later bit remains.

    Parameters
    ----------
    words : array
        This round's word of each group.
    thresholds : array
        The 32 thresholds, as words of ``xp``.
    state : tuple of array
        ``(pos, bits, alive)`` after the previous round (:func:`initial_state`).
    xp : module
        The array namespace.

    Returns
    -------
    tuple of array
        The new ``(pos, bits, alive)``.

    Examples
    --------
    >>> from dropblock_core._namespace import default_namespace
    >>> xp = default_namespace()
    >>> state = initial_state(2, xp.uint32, xp=xp)
    >>> words = xp.asarray([0, 2**31], dtype=xp.uint32)  # gaps 0 and 1 at gamma 0.5
    >>> thresholds = xp.asarray(gap_thresholds(0.5))
    >>> pos, bits, alive = take_round(words, thresholds, state, xp=xp)
    >>> pos.tolist(), bits.tolist(), alive.tolist()
    ([0, 1], [1, 2], [True, True])
    """
    pos, bits, alive = state
    pos = pos + 1 + gaps(words, thresholds, xp=xp)
    hit = alive & (pos < GROUP)
    one = xp.ones_like(bits)
    shift = xp.astype(xp.where(hit, pos, xp.zeros_like(pos)), bits.dtype)
    bits = bits | xp.where(hit, xp.bitwise_left_shift(one, shift), xp.zeros_like(bits))
    return pos, bits, hit & (pos < GROUP - 1)


def bits_round_by_round(
    key: tuple[Any, Any], thresholds: Any, groups: Any, *, device: Any = None, xp: ModuleType
) -> Any:
    """Seed bits drawing one word pair at a time, stopping when every group is
    done (eager: reads ``any(alive)`` on the host, so ``xp`` must be eager).

    Parameters, Returns and Raises are those of :func:`bits_all_rounds`: the
    same words, drawn in fewer rounds when the groups finish early.

    Examples
    --------
    The words of :func:`bits_all_rounds`'s example, drawn round by round:

    >>> from dropblock_core._namespace import default_namespace
    >>> xp = default_namespace()
    >>> args = (mask_key(0), xp.asarray(gap_thresholds(0.5)), xp.arange(2, dtype=xp.uint32))
    >>> bool(xp.all(bits_round_by_round(*args, xp=xp) == bits_all_rounds(*args, xp=xp)))
    True
    """
    state = initial_state(groups.shape[0], groups.dtype, device=device, xp=xp)
    for pair in range(GROUP // 2):
        counter = xp.full(groups.shape, pair, dtype=groups.dtype, device=device)
        for words in threefry2x32(key, (groups, counter), xp=xp):
            state = take_round(words, thresholds, state, xp=xp)
        if not bool(xp.any(state[2])):
            break
    return state[1]
