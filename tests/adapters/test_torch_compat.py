"""The drop-in aliases in dropblock_torch.compat.

1. Their signatures, attributes and reprs are the upstream ones, written here
   as read from torchvision 0.29.1 and timm 1.0.31 (``inspect.signature`` in a
   venv with those packages; neither imports beside this suite's torch 2.13).
2. torchvision's and timm's own DropBlock unit tests, re-expressed against the
   aliases (same inputs, parameters and assertions).
3. The conventions, exactly: with the key the alias draws from torch's
   generator, the mask is the core's for that convention, bit for bit.
4. Where they keep this project's safe behaviour instead of upstream's.
"""

from __future__ import annotations

import inspect
import itertools

import numpy as np
import pytest
import torch
from dropblock_torch.compat import timm, torchvision

import dropblock_core as db

# --- 1. signatures, attributes, repr ----------------------------------------------------------

EMPTY = inspect.Parameter.empty
POS = inspect.Parameter.POSITIONAL_OR_KEYWORD
VAR_KW = inspect.Parameter.VAR_KEYWORD

TORCHVISION_FUNCTION = [
    ("input", POS, EMPTY, "Tensor"),
    ("p", POS, EMPTY, "float"),
    ("block_size", POS, EMPTY, "int"),
    ("inplace", POS, False, "bool"),
    ("eps", POS, 1e-06, "float"),
    ("training", POS, True, "bool"),
]
TORCHVISION_MODULE = [
    ("p", POS, EMPTY, "float"),
    ("block_size", POS, EMPTY, "int"),
    ("inplace", POS, False, "bool"),
    ("eps", POS, 1e-06, "float"),
]
TIMM_OPTIONS = [
    ("drop_prob", POS, 0.1, "float"),
    ("block_size", POS, 7, "int"),
    ("gamma_scale", POS, 1.0, "float"),
    ("with_noise", POS, False, "bool"),
    ("inplace", POS, False, "bool"),
    ("couple_channels", POS, True, "bool"),
    ("scale_by_keep", POS, True, "bool"),
]
UPSTREAM = {
    # name: (parameters, return annotation)
    "torchvision.drop_block2d": (TORCHVISION_FUNCTION, "Tensor"),
    "torchvision.drop_block3d": (TORCHVISION_FUNCTION, "Tensor"),
    "torchvision.DropBlock2d": (TORCHVISION_MODULE, "None"),
    "torchvision.DropBlock3d": (TORCHVISION_MODULE, "None"),
    "timm.drop_block_2d": ([("x", POS, EMPTY, "Tensor"), *TIMM_OPTIONS], None),
    "timm.DropBlock2d": ([*TIMM_OPTIONS, ("kwargs", VAR_KW, EMPTY, None)], None),
}


def annotation_name(annotation: object) -> str | None:
    """``torch.Tensor``, ``"torch.Tensor"`` and ``"Tensor"`` all read ``Tensor``."""
    if annotation is EMPTY:
        return None
    if annotation is None:
        return "None"
    text = annotation if isinstance(annotation, str) else annotation.__name__
    return text.rsplit(".", 1)[-1]


@pytest.mark.parametrize("name", sorted(UPSTREAM))
def test_signatures_are_the_upstream_ones(name):
    module_name, attribute = name.split(".")
    alias = getattr({"torchvision": torchvision, "timm": timm}[module_name], attribute)
    signature = inspect.signature(alias)
    got = [
        (p.name, p.kind, p.default, annotation_name(p.annotation))
        for p in signature.parameters.values()
    ]
    parameters, returns = UPSTREAM[name]
    assert got == parameters
    assert annotation_name(signature.return_annotation) == returns


def test_attributes_and_repr_are_the_upstream_ones():
    layer = torchvision.DropBlock2d(0.1, 7)
    public = [k for k in vars(layer) if not k.startswith("_") and k != "training"]
    assert public == ["p", "block_size", "inplace", "eps"]
    assert (layer.p, layer.block_size, layer.inplace, layer.eps) == (0.1, 7, False, 1e-06)
    assert repr(layer) == "DropBlock2d(p=0.1, block_size=7, inplace=False)"
    assert repr(torchvision.DropBlock3d(0.2, 3, True)) == (
        "DropBlock3d(p=0.2, block_size=3, inplace=True)"
    )
    assert isinstance(torchvision.DropBlock3d(0.2, 3), torchvision.DropBlock2d)
    layer = timm.DropBlock2d()
    public = [k for k in vars(layer) if not k.startswith("_") and k != "training"]
    assert public == [
        "drop_prob",
        "gamma_scale",
        "block_size",
        "with_noise",
        "inplace",
        "couple_channels",
        "scale_by_keep",
    ]
    assert repr(layer) == "DropBlock2d()"
    assert (layer.drop_prob, layer.block_size, layer.couple_channels) == (0.1, 7, True)


def test_attributes_are_plain_and_read_by_every_call():
    x = torch.ones(4, 8, 12, 12)
    for layer, name in (
        (torchvision.DropBlock2d(0.0, 3), "p"),
        (timm.DropBlock2d(0.0, 3), "drop_prob"),
    ):
        assert torch.equal(layer(x), x)
        setattr(layer, name, 0.3)
        assert (layer(x) == 0).any()


# --- 2. torchvision's tests, re-expressed --------------------------------------------------------


def torchvision_layer(dim: int, p: float, block_size: int, inplace: bool):
    cls = torchvision.DropBlock2d if dim == 2 else torchvision.DropBlock3d
    return cls(p=p, block_size=block_size, inplace=inplace)


@pytest.mark.parametrize(
    ("dim", "p", "block_size", "inplace"),
    list(itertools.product([2, 3], [0, 0.5], [5, 11], [True, False])),
)
def test_torchvision_drop_block(dim, p, block_size, inplace):
    # Ones on an 11-wide map; p = 0 is the identity; a block as large as the map
    # drops whole channels.
    for seed in range(10):
        torch.manual_seed(seed)
        x = torch.ones((5, 3) + (11,) * dim)
        layer = torchvision_layer(dim, p, block_size, inplace)
        layer.__repr__()
        out = layer(x)
        if p == 0:
            assert out.equal(x)
        if block_size == 11:
            for b, c in itertools.product(range(5), range(3)):
                assert out[b, c].count_nonzero() in (0, 11**dim)


@pytest.mark.slow  # 10,000 calls
@pytest.mark.parametrize(("dim", "p"), list(itertools.product([2, 3], [0.1, 0.2])))
def test_torchvision_drop_block_random(dim, p):
    # 250 draws of a 5 x 3 x 11^dim map, block 3: the drop rate is p within 15 %.
    for seed in range(10):
        torch.manual_seed(seed)
        x = torch.ones((5, 3) + (11,) * dim)
        layer = torchvision_layer(dim, p, 3, inplace=False)
        counts = total = 0
        for _ in range(250):
            with torch.no_grad():
                out = layer(x)
            counts += x.numel() - out.nonzero().size(0)
            total += x.numel()
        assert abs(p - counts / total) / p < 0.15


# --- 2. timm's tests, re-expressed -----------------------------------------------------------------


def test_timm_output_shape():
    for h, w in [(7, 7), (4, 8), (10, 5), (3, 3)]:
        x = torch.ones((2, 3, h, w))
        assert timm.drop_block_2d(x, drop_prob=0.1, block_size=3).shape == x.shape


def test_timm_no_drop_when_prob_zero():
    x = torch.ones((2, 3, 8, 8))
    assert torch.allclose(timm.drop_block_2d(x, drop_prob=0.0, block_size=3), x)


def test_timm_approximate_keep_ratio():
    torch.manual_seed(123)
    x = torch.ones((32, 16, 56, 56))
    result = timm.drop_block_2d(x, drop_prob=0.1, block_size=7, scale_by_keep=False)
    ratio = (result == 0).sum().item() / result.numel()
    assert abs(ratio - 0.1) < 0.03


def test_timm_inplace_returns_the_input():
    x = torch.ones((2, 3, 8, 8))
    torch.manual_seed(42)
    assert timm.drop_block_2d(x, drop_prob=0.3, block_size=3, inplace=True) is x


def test_timm_couple_channels():
    torch.manual_seed(42)
    x = torch.ones((2, 4, 16, 16))
    coupled = timm.drop_block_2d(x, drop_prob=0.3, block_size=5, couple_channels=True)
    for b in range(2):
        for c in range(1, 4):
            assert torch.allclose((coupled[b, 0] == 0).float(), (coupled[b, c] == 0).float())
    torch.manual_seed(42)
    apart = timm.drop_block_2d(x, drop_prob=0.3, block_size=5, couple_channels=False)
    assert not torch.allclose((apart[0, 0] == 0).float(), (apart[0, 1] == 0).float())


def test_timm_with_noise_fills_dropped_units_with_noise():
    torch.manual_seed(42)
    result = timm.drop_block_2d(torch.ones((2, 3, 16, 16)), 0.3, 5, with_noise=True)
    assert len(torch.unique(result)) > 2


def test_timm_even_and_asymmetric_maps():
    for block_size in (2, 4, 6):
        x = torch.ones((2, 3, 16, 16))
        assert timm.drop_block_2d(x, drop_prob=0.1, block_size=block_size).shape == x.shape
    for h, w in [(8, 16), (16, 8), (7, 14), (14, 7)]:
        x = torch.ones((2, 3, h, w))
        assert timm.drop_block_2d(x, drop_prob=0.1, block_size=5).shape == x.shape


def test_timm_scale_by_keep():
    x = torch.ones((2, 3, 16, 16))
    torch.manual_seed(42)
    scaled = timm.drop_block_2d(x.clone(), drop_prob=0.3, block_size=5, scale_by_keep=True)
    assert scaled[scaled > 0].min() > 1.0
    torch.manual_seed(42)
    plain = timm.drop_block_2d(x.clone(), drop_prob=0.3, block_size=5, scale_by_keep=False)
    kept = plain[plain > 0]
    assert torch.allclose(kept, torch.ones_like(kept))


def test_timm_module_accepts_removed_arguments_and_warns_on_unknown_ones():
    for kwargs in ({"batchwise": True}, {"fast": False}, {"batchwise": False, "fast": True}):
        assert timm.DropBlock2d(drop_prob=0.1, **kwargs).drop_prob == 0.1
    with pytest.warns(UserWarning, match="unexpected keyword argument 'unknown_arg'"):
        timm.DropBlock2d(drop_prob=0.1, unknown_arg=True)


def test_timm_module_drops_only_in_training():
    layer = timm.DropBlock2d(drop_prob=0.5, block_size=3)
    x = torch.ones((2, 3, 8, 8))
    assert torch.allclose(layer.eval()(x), x)
    torch.manual_seed(42)
    assert not torch.allclose(layer.train()(x), x)


def test_timm_module_passes_couple_channels():
    x = torch.ones((2, 4, 16, 16))
    torch.manual_seed(42)
    coupled = timm.DropBlock2d(drop_prob=0.3, block_size=5, couple_channels=True)(x)
    assert torch.allclose((coupled[0, 0] == 0).float(), (coupled[0, 1] == 0).float())
    torch.manual_seed(42)
    apart = timm.DropBlock2d(drop_prob=0.3, block_size=5, couple_channels=False)(x)
    assert not torch.allclose((apart[0, 0] == 0).float(), (apart[0, 1] == 0).float())


# --- 3. the conventions, bit for bit -------------------------------------------------------------


def drawn_key(seed: int) -> int:
    """The 64-bit key an alias draws right after ``torch.manual_seed(seed)``."""
    torch.manual_seed(seed)
    low, high = torch.randint(0, 2**32, (2,), dtype=torch.int64).tolist()
    return low | high << 32


def positive(shape, seed=0):
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed)) + 0.5


def expected_output(x, mask, eps, scaled=True):
    kept = int(mask.sum())
    units = mask.size
    scale = units / (kept + eps) if scaled and kept else (1.0 if not scaled else 0.0)
    keep = torch.from_numpy(np.broadcast_to(mask, x.shape).copy())
    return torch.where(keep, x * torch.tensor(scale, dtype=torch.float64).float(), 0.0)


@pytest.mark.parametrize(
    ("shape", "p", "block"),
    [((2, 3, 14, 14), 0.2, 5), ((2, 3, 5, 20), 0.3, 7), ((1, 2, 6, 8, 9), 0.3, 3)],
)
def test_torchvision_alias_is_the_core_with_torchvisions_conventions(shape, p, block):
    x = positive(shape)
    op = torchvision.drop_block2d if len(shape) == 4 else torchvision.drop_block3d
    key = drawn_key(3)
    torch.manual_seed(3)
    out = op(x, p, block)
    square = min(block, *shape[2:])  # torchvision clips to a square (cubic) block
    mask = db.sample_mask(shape, p, square, gamma="paper", seed=key, stream="native")
    assert torch.equal(out != 0, torch.from_numpy(mask))
    assert torch.equal(out, expected_output(x, mask, 1e-06))


@pytest.mark.parametrize("couple_channels", [True, False])
@pytest.mark.parametrize(("scale_by_keep", "gamma_scale"), [(True, 1.0), (False, 0.5), (True, 2.0)])
def test_timm_alias_is_the_core_with_timms_conventions(couple_channels, scale_by_keep, gamma_scale):
    shape = (2, 3, 14, 10)
    x = positive(shape)
    key = drawn_key(4)
    torch.manual_seed(4)
    out = timm.drop_block_2d(
        x, 0.2, 5, gamma_scale, couple_channels=couple_channels, scale_by_keep=scale_by_keep
    )
    gamma = min(1.0, gamma_scale * db.paper_gamma(0.2, 5, (14, 10)))
    mask = db.sample_mask(
        shape,
        0.2,
        5,
        gamma=gamma,
        seed_region="full",
        share_channels=couple_channels,
        seed=key,
        stream="native",
    )
    assert torch.equal(out != 0, torch.from_numpy(np.broadcast_to(mask, shape).copy()))
    assert torch.equal(out, expected_output(x, mask, 1e-7, scaled=scale_by_keep))


def test_timm_noise_has_the_mask_shape():
    # couple_channels=True: one noise map per sample, shared by the channels, as in timm.
    torch.manual_seed(0)
    out = timm.drop_block_2d(positive((2, 4, 12, 12)), 0.3, 3, with_noise=True)
    dropped = out[0, 0] != positive((2, 4, 12, 12))[0, 0]
    assert dropped.any()
    for c in range(1, 4):
        assert torch.equal(out[0, c][dropped], out[0, 0][dropped])


def test_aliases_keep_the_gradient_of_the_mask():
    x = positive((2, 3, 12, 12)).requires_grad_()
    torch.manual_seed(1)
    out = torchvision.drop_block2d(x, 0.3, 3)
    (grad,) = torch.autograd.grad(out.sum(), x)
    kept = out != 0
    assert torch.equal(grad[~kept], torch.zeros_like(grad[~kept]))
    assert torch.allclose(grad[kept], (out / x.detach())[kept])


# --- 4. where the aliases keep this project's safe behaviour -----------------------------------------


def test_even_blocks_work_where_torchvision_raises():
    x = torch.ones(2, 3, 12, 12)
    for block in (2, 4, 6):
        out = torchvision.drop_block2d(x, 0.3, block)
        assert out.shape == x.shape and torch.isfinite(out).all()


def test_float16_is_not_zeroed():
    # torchvision sums the float16 mask in float16: past 65,504 kept units the
    # scale is 0 and so is the output.
    x = torch.ones(4, 16, 32, 32, dtype=torch.float16)  # 65,536 units
    torch.manual_seed(0)
    out = torchvision.drop_block2d(x, 0.1, 3)
    assert out.dtype == torch.float16 and (out != 0).sum() > 0 and torch.isfinite(out).all()


def test_everything_dropped_gives_zeros_not_nan():
    x = torch.ones(2, 3, 6, 6)
    out = torchvision.drop_block2d(x, 1.0, 1)  # gamma 1: every unit a seed
    assert torch.equal(out, torch.zeros_like(x))
    out = timm.drop_block_2d(x, 0.9, 3, gamma_scale=20.0)  # gamma > 1: capped, all dropped
    assert torch.equal(out, torch.zeros_like(x))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda x: torchvision.drop_block2d(x, 1.5, 3), ValueError, "between 0 and 1"),
        (lambda x: torchvision.drop_block2d(x, -0.1, 3), ValueError, "between 0 and 1"),
        (lambda x: torchvision.drop_block2d(x[0], 0.1, 3), ValueError, "4 dimensional"),
        (lambda x: torchvision.drop_block3d(x, 0.1, 3), ValueError, "5 dimensional"),
        (lambda x: torchvision.drop_block2d(x, 0.1, 0), ValueError, "block_size"),
        (lambda x: torchvision.drop_block2d(x, 0.1, 3, eps=-1.0), ValueError, "eps"),
        (lambda x: torchvision.drop_block2d(x, "0.1", 3), TypeError, "p must"),
        (lambda x: timm.drop_block_2d(x, 1.5), ValueError, "drop_prob"),
        (lambda x: timm.drop_block_2d(x, 0.1, 3, gamma_scale=-1.0), ValueError, "gamma_scale"),
        (lambda x: timm.drop_block_2d(x, 0.1, 3, with_noise=1), TypeError, "with_noise"),
        (lambda x: timm.drop_block_2d(x[0], 0.1, 3), ValueError, "B, C, H, W"),
    ],
)
def test_bad_arguments_raise_naming_the_parameter(call, error, match):
    x = torch.ones(2, 3, 8, 8)
    with pytest.raises(error, match=match):
        call(x)
