"""dropblock_torch: the functional form, the layers and the mask transport.

Every expected value comes from the NumPy core (``dropblock_core.sample_mask``
and ``dropblock_core.dropblock``); the adapter runs on torch tensors only. The
behaviours every layer adapter shares (DropBlock2d's masks, steps, layer ids,
settable and read-only attributes, dtypes, gradient) are in
tests/adapters/test_contract.py.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import dropblock_torch
import numpy as np
import pytest
import torch
from dropblock_torch import DropBlock1d, DropBlock2d, DropBlock3d, _op, dropblock
from torch import nn

import dropblock_core as db
from dropblock_core._namespace import resolve_namespace
from dropblock_core.apply import keep_scale
from dropblock_core.conformance import validate
from dropblock_core.conformance.targets import available
from tests.adapters.bad_arguments import BAD_ARGUMENTS
from tests.children import frameworks_after

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "adapters" / "dropblock_torch"
GUIDE = ROOT / "docs" / "guides" / "pytorch.md"
NUMPY = resolve_namespace(None)
CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
TORCH_DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64]
NUMPY_DTYPES = {torch.float16: np.float16, torch.float32: np.float32, torch.float64: np.float64}


def positive(shape: tuple[int, ...], dtype: torch.dtype = torch.float32, seed: int = 0):
    """Inputs in [0.5, 1.5): never zero, so the zeros of the output are the mask's."""
    gen = torch.Generator().manual_seed(seed)
    return (torch.rand(shape, generator=gen, dtype=torch.float64) + 0.5).to(dtype)


def core_scale(mask: np.ndarray, wide: type = np.float32) -> np.ndarray:
    """The core's global scale for a mask, in float32 (float64 for float64 x)."""
    return np.asarray(keep_scale(mask, 0.0, "global", np.float64, xp=NUMPY), wide)


def reference(x: torch.Tensor, drop_prob: float, block, **kwargs) -> torch.Tensor:
    """``dropblock_core.dropblock`` on a NumPy copy (bfloat16 through float32, which
    rounds the float32 product once to bfloat16, as float16 does in the core)."""
    wide = x.dtype == torch.bfloat16
    array = (x.float() if wide else x).detach().contiguous().numpy()
    out = torch.from_numpy(db.dropblock(array, drop_prob, block, **kwargs))
    return out.to(x.dtype)


# --- the functional form agrees with the core ---------------------------------------------

CASES = [
    ((2, 3, 16), 3, {}),
    ((2, 3, 10, 12), 3, {}),
    ((2, 3, 10, 12), (2, 3), {"gamma": "paper"}),
    ((2, 3, 10, 12), 4, {"seed_region": "full", "gamma": 0.05}),
    ((2, 3, 10, 12), 3, {"share_channels": True}),
    ((3, 2, 10, 12), 3, {"share_batch": True, "share_channels": True}),
    ((1, 2, 5, 6, 7), (1, 3, 2), {}),
    ((2, 2, 4, 4), 9, {}),  # block larger than the map: clipped
]


@pytest.mark.parametrize("normalize", ["global", "per_sample", "expected", "none"])
@pytest.mark.parametrize(("shape", "block", "kwargs"), CASES)
def test_output_equals_core(shape, block, kwargs, normalize):
    x = positive(shape)
    counters = {"seed": 2**40 + 7, "step": 5, "replica": 3}
    out = dropblock(x, 0.3, block, normalize=normalize, **counters, **kwargs)
    mask = db.sample_mask(shape, 0.3, block, **counters, **kwargs)
    assert torch.equal(out != 0, torch.from_numpy(mask).expand(shape))
    expected = reference(x, 0.3, block, normalize=normalize, **counters, **kwargs)
    assert torch.equal(out, expected)


@pytest.mark.parametrize("dtype", TORCH_DTYPES)
def test_dtypes_keep_dtype_and_match_core(dtype):
    x = positive((2, 4, 14, 14), dtype)
    out = dropblock(x, 0.2, 5, seed=3, step=1)
    assert out.dtype == dtype
    assert torch.isfinite(out).all() and (out != 0).any()
    assert torch.equal(out, reference(x, 0.2, 5, seed=3, step=1))


def test_float16_with_more_kept_units_than_float16_can_count():
    # 8 * 96 * 96 = 73,728 elements: more kept units than float16's largest finite
    # value (65,504), where summing the mask in float16 overflows (torchvision: zeros).
    x = positive((1, 8, 96, 96), torch.float16)
    out = dropblock(x, 0.1, 7, seed=0)
    mask = db.sample_mask(x.shape, 0.1, 7, seed=0)
    assert mask.sum() > 65504
    assert torch.isfinite(out).all()
    assert torch.equal(out != 0, torch.from_numpy(mask))
    assert torch.equal(out, reference(x, 0.1, 7, seed=0))


@pytest.mark.parametrize("dtype", TORCH_DTYPES)
def test_gradient_is_mask_times_scale(dtype):
    x = positive((2, 3, 12, 12), dtype).requires_grad_()
    out = dropblock(x, 0.25, 3, seed=11, step=2)
    (grad,) = torch.autograd.grad(out, x, torch.ones_like(out))
    mask = db.sample_mask(x.shape, 0.25, 3, seed=11, step=2)
    wide = np.float64 if dtype == torch.float64 else np.float32
    expected = torch.from_numpy(mask * core_scale(mask, wide)).to(dtype)
    assert torch.equal(grad, expected)


def test_all_dropped_gives_zeros_not_nan():
    x = positive((2, 2, 6, 6)).requires_grad_()
    out = dropblock(x, 0.5, 6, gamma=1.0, seed=0)
    (grad,) = torch.autograd.grad(out, x, torch.ones_like(out))
    assert torch.equal(out, torch.zeros_like(out)) and torch.equal(grad, torch.zeros_like(grad))


def test_inference_and_zero_drop_return_the_input():
    x = positive((2, 3, 8, 8))
    assert dropblock(x, 0.3, 3, training=False) is x
    assert dropblock(x, 0.0, 3, seed=1) is x


def test_input_is_not_modified():
    x = positive((2, 3, 8, 8))
    before = x.clone()
    dropblock(x, 0.3, 3, seed=1)
    assert torch.equal(x, before)


# --- memory layouts and NumPy-born tensors -------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda x: x.transpose(2, 3), id="transposed"),
        pytest.param(lambda x: x[:, :, ::2, 1:], id="strided-slice"),
        pytest.param(lambda x: x.to(memory_format=torch.channels_last), id="channels_last"),
        pytest.param(lambda x: x.expand(3, -1, -1, -1), id="expanded-batch"),
    ],
)
def test_layouts_match_core(make):
    x = make(positive((1, 3, 10, 12)))
    out = dropblock(x, 0.3, 3, seed=4, step=1)
    assert torch.equal(out, reference(x, 0.3, 3, seed=4, step=1))


def test_channels_last_output_keeps_the_memory_format():
    x = positive((2, 5, 10, 12)).to(memory_format=torch.channels_last)
    out = dropblock(x, 0.3, 3, seed=4, share_channels=True)
    assert out.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(out, reference(x, 0.3, 3, seed=4, share_channels=True))


def test_channels_last_3d_matches_core():
    x = positive((2, 3, 4, 6, 8)).to(memory_format=torch.channels_last_3d)
    out = dropblock(x, 0.3, (1, 3, 3), seed=4)
    assert out.is_contiguous(memory_format=torch.channels_last_3d)
    assert torch.equal(out, reference(x, 0.3, (1, 3, 3), seed=4))


@pytest.mark.filterwarnings("ignore:The given NumPy array is not writable:UserWarning")
def test_read_only_numpy_input_is_left_alone():
    array = np.random.default_rng(0).random((2, 3, 8, 8), dtype=np.float32) + 0.5
    array.flags.writeable = False
    before = array.copy()
    x = torch.from_numpy(array)
    out = dropblock(x, 0.3, 3, seed=2)
    assert np.array_equal(array, before)
    assert torch.equal(out, torch.from_numpy(db.dropblock(array, 0.3, 3, seed=2)))


@pytest.mark.parametrize("copy", [np.ascontiguousarray, np.copy], ids=["ascontiguous", "copy"])
def test_flipped_then_copied_numpy_input(copy):
    array = np.random.default_rng(1).random((2, 3, 8, 8)) + 0.5
    flipped = copy(array[:, :, ::-1, ::-1])
    out = dropblock(torch.from_numpy(flipped), 0.3, 3, seed=2)
    assert out.dtype == torch.float64
    assert torch.equal(out, torch.from_numpy(db.dropblock(flipped, 0.3, 3, seed=2)))


# --- mask transport ---------------------------------------------------------------------------


def test_numpy_mask_is_imported_without_a_copy():
    mask = db.sample_mask((2, 3, 9, 9), 0.3, 3, seed=0)
    tensor = _op.numpy_to_torch(mask)
    assert tensor.data_ptr() == mask.__array_interface__["data"][0]
    mask[0, 0, 0, 0] = not mask[0, 0, 0, 0]  # one buffer, seen from both sides
    assert bool(tensor[0, 0, 0, 0]) == bool(mask[0, 0, 0, 0])


def test_numpy_mask_with_negative_strides_is_copied_not_aborted():
    mask = db.sample_mask((2, 3, 9, 9), 0.3, 3, seed=0)
    flipped = mask[:, :, ::-1]
    assert torch.equal(_op.numpy_to_torch(flipped), torch.from_numpy(flipped.copy()))


@pytest.fixture
def imports(monkeypatch):
    """Records every (NumPy mask, torch tensor) pair the operator imports."""
    seen: list[tuple[np.ndarray, torch.Tensor]] = []
    original = _op.numpy_to_torch

    def spy(mask):
        tensor = original(mask)
        seen.append((mask, tensor))
        return tensor

    monkeypatch.setattr(_op, "numpy_to_torch", spy)
    return seen


def test_cpu_masks_come_from_numpy_zero_copy(imports):
    x = positive((2, 3, 9, 9))
    out = dropblock(x, 0.3, 3, seed=5)
    ((mask, tensor),) = imports
    assert tensor.data_ptr() == mask.__array_interface__["data"][0]
    assert torch.equal(out != 0, tensor)


def test_torch_mask_backend_on_cpu_gives_the_same_output(imports):
    x = positive((2, 3, 11, 9))
    for kwargs in ({}, {"share_channels": True}, {"gamma": "paper", "seed_region": "full"}):
        by_torch = dropblock(x, 0.3, 3, seed=5, step=9, mask_backend="torch", **kwargs)
        assert torch.equal(by_torch, dropblock(x, 0.3, 3, seed=5, step=9, **kwargs))
    assert len(imports) == 3  # only the "auto" calls went through NumPy


@CUDA
def test_cuda_masks_stay_on_the_device(imports):
    x = positive((2, 3, 12, 12)).cuda()
    out = dropblock(x, 0.3, 3, seed=6, step=2)
    assert out.device == x.device and not imports
    assert torch.equal(out.cpu(), dropblock(x.cpu(), 0.3, 3, seed=6, step=2))


@CUDA
@pytest.mark.parametrize("dtype", TORCH_DTYPES)
def test_cuda_layer_matches_core(dtype):
    layer = DropBlock2d(0.2, 5, seed=1).cuda()
    x = positive((2, 4, 14, 14), dtype).cuda().requires_grad_()
    out = layer(x)
    out.sum().backward()
    assert out.dtype == dtype and torch.isfinite(x.grad).all()
    assert torch.equal(out.detach().cpu(), reference(x.detach().cpu(), 0.2, 5, seed=1))


@CUDA
def test_numpy_mask_backend_on_cuda_copies_to_the_device(imports):
    x = positive((2, 3, 12, 12)).cuda()
    out = dropblock(x, 0.3, 3, seed=6, mask_backend="numpy")
    assert len(imports) == 1 and out.device == x.device
    assert torch.equal(out, dropblock(x, 0.3, 3, seed=6))


# --- random seeds --------------------------------------------------------------------------


def test_no_seed_gives_a_fresh_mask_each_call_and_follows_torch_manual_seed():
    x = positive((2, 4, 16, 16))
    first, second = dropblock(x, 0.3, 3), dropblock(x, 0.3, 3)
    assert not torch.equal(first != 0, second != 0)
    torch.manual_seed(123)
    again = dropblock(x, 0.3, 3)
    torch.manual_seed(123)
    assert torch.equal(again, dropblock(x, 0.3, 3))


def test_no_seed_draws_from_the_given_generator_only():
    x = positive((2, 4, 16, 16))
    torch.manual_seed(0)
    state = torch.get_rng_state()
    a = dropblock(x, 0.3, 3, generator=torch.Generator().manual_seed(7))
    assert torch.equal(torch.get_rng_state(), state)  # the default generator was not used
    b = dropblock(x, 0.3, 3, generator=torch.Generator().manual_seed(7))
    c = dropblock(x, 0.3, 3, generator=torch.Generator().manual_seed(8))
    assert torch.equal(a, b) and not torch.equal(a != 0, c != 0)


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "error", "match"),
    [
        (torch.ones(2, 3, 8, 8, dtype=torch.int64), TypeError, "floating dtype"),
        (torch.ones(2, 3, 8, 8, dtype=torch.bool), TypeError, "floating dtype"),
        (np.ones((2, 3, 8, 8), np.float32), TypeError, "torch.Tensor"),
        (torch.ones(2, 8), ValueError, "spatial"),
    ],
)
def test_bad_input_raises(x, error, match):
    with pytest.raises(error, match=match):
        dropblock(x, 0.1, 3, seed=0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        *BAD_ARGUMENTS,
        ({"step": -1}, ValueError, "step"),
        ({"step": True}, TypeError, "step"),
        ({"step": torch.tensor(True)}, TypeError, "step"),
        ({"step": torch.tensor(1.0)}, TypeError, "step"),
        ({"step": torch.tensor([1, 2])}, TypeError, "step"),
        ({"step": torch.tensor(-3)}, ValueError, "step"),
        ({"replica": -2}, ValueError, "replica"),
        ({"share_channels": "yes"}, TypeError, "share_channels"),
        ({"mask_backend": "cuda"}, ValueError, "mask_backend"),
    ],
)
def test_bad_parameters_raise(kwargs, error, match):
    args = {"drop_prob": 0.1, "block_size": 3, "seed": 0, **kwargs}
    with pytest.raises(error, match=match):
        dropblock(torch.ones(2, 3, 8, 8), **args)


def test_lookalike_options_are_checked_even_after_valid_calls():
    # The validated configuration is cached per call site's options: 3.0, True and
    # 1 compare equal to 3, 1 and True, but must still be refused.
    x = torch.ones(2, 3, 8, 8)
    dropblock(x, 0.1, (3, 3), seed=1)
    dropblock(x, 0.1, 3, share_channels=True, seed=1)
    for kwargs in ({"block_size": (3.0, 3)}, {"block_size": 3.0}, {"share_channels": 1}):
        with pytest.raises(TypeError, match=next(iter(kwargs))):
            dropblock(x, 0.1, **{"block_size": 3, "seed": 1, **kwargs})


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"seed": 2**64}, ValueError, "seed"),
        ({"inplace": 1}, TypeError, "inplace"),
        ({"replica": 2**32}, ValueError, "replica"),
        ({"mask_backend": "gpu"}, ValueError, "mask_backend"),
        ({"total_steps": 100}, TypeError, "total_steps"),  # the schedule moved to LinearScheduler
    ],
)
def test_bad_layer_parameters_raise(kwargs, error, match):
    with pytest.raises(error, match=match):
        DropBlock2d(**{"drop_prob": 0.1, "block_size": 3, **kwargs})


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("step", torch.tensor(True), TypeError),
        ("step", torch.tensor(3), TypeError),  # set Python ints; the layer keeps the tensor
        ("drop_prob", torch.tensor(0.1), TypeError),
    ],
)
def test_tensors_for_the_settable_attributes_raise_and_change_nothing(name, value, error):
    # Python values of every kind: tests/adapters/test_contract.py
    layer = DropBlock2d(0.1, 3, seed=1)
    x = positive((2, 3, 8, 8))
    before = layer(x)
    with pytest.raises(error, match=name):
        setattr(layer, name, value)
    assert (layer.drop_prob, layer.step, layer.layer_id) == (0.1, 0, 0)
    assert torch.equal(layer(x), before)


@pytest.mark.parametrize(
    ("layer", "shape"),
    [(DropBlock1d, (2, 3, 4, 4)), (DropBlock2d, (2, 3, 8)), (DropBlock3d, (2, 3, 4, 4))],
)
def test_layers_check_the_rank_and_type(layer, shape):
    with pytest.raises(ValueError, match=f"{layer.spatial_dims} spatial axes"):
        layer(0.1, 3)(torch.ones(shape))
    with pytest.raises(TypeError, match="torch.Tensor"):
        layer(0.1, 3)(np.ones(shape, np.float32))


# --- layers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layer", "shape", "block"),
    [(DropBlock1d, (2, 3, 20), 3), (DropBlock3d, (1, 2, 5, 6, 7), (1, 3, 2))],
)
def test_1d_and_3d_layers_draw_the_core_mask_of_the_step_they_are_given(layer, shape, block):
    module = layer(0.3, block, seed=7)
    x = positive(shape)
    for step in (0, 1, 5, 2):
        module.step = step
        for _ in range(2):  # calling twice draws the same mask: forward advances nothing
            out = module(x)
            mask = db.sample_mask(shape, 0.3, block, seed=7, step=step)
            assert torch.equal(out != 0, torch.from_numpy(mask))
            assert torch.equal(out, reference(x, 0.3, block, seed=7, step=step))
    assert module.step == 2
    module.eval()
    assert module(x) is x


def test_replica_none_is_the_distributed_rank_0_outside_a_process_group():
    assert DropBlock2d(0.3, 3).current_replica() == 0  # torch.distributed not initialised


def test_extra_repr_shows_the_configuration():
    assert repr(DropBlock2d()) == "DropBlock2d(drop_prob=0.1, block_size=7)"
    layer = DropBlock3d(0.2, (1, 3, 3), normalize="per_sample", seed=3, inplace=True)
    assert repr(layer) == (
        "DropBlock3d(drop_prob=0.2, block_size=(1, 3, 3), normalize='per_sample', seed=3, "
        "inplace=True)"
    )
    assert layer.config.to_dict()["block_size"] == [1, 3, 3]
    layer.layer_id = 2  # it changes the masks of an explicit seed: shown
    assert repr(layer).endswith("seed=3, layer_id=2, inplace=True)")
    unseeded = DropBlock2d()
    unseeded.layer_id = 2  # no effect without a seed: not shown
    assert repr(unseeded) == "DropBlock2d(drop_prob=0.1, block_size=7)"


def test_layer_in_a_training_loop_gets_finite_gradients():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        DropBlock2d(0.2, 3),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(8, 2),
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = dropblock_torch.LinearScheduler(model, total_steps=2)
    x, y = torch.randn(4, 3, 12, 12), torch.tensor([0, 1, 0, 1])
    for _ in range(3):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        for p in model.parameters():
            assert p.grad is not None and torch.isfinite(p.grad).all()
        optimizer.step()
        scheduler.step()
    assert model[1].step == 3 and model[1].drop_prob == 0.2


# --- in place -------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", TORCH_DTYPES)
def test_inplace_writes_the_same_result_into_x(dtype):
    x = positive((2, 3, 12, 12), dtype)
    expected = DropBlock2d(0.3, 3, seed=2)(x)
    target = x.clone()
    out = DropBlock2d(0.3, 3, seed=2, inplace=True)(target)
    assert out is target and torch.equal(target, expected)


@pytest.mark.parametrize("dtype", TORCH_DTYPES)
def test_inplace_on_a_non_leaf_keeps_the_gradient(dtype):
    leaf = positive((2, 3, 12, 12), dtype).requires_grad_()
    out = DropBlock2d(0.3, 3, seed=2, inplace=True)(leaf * 1.0)
    (grad,) = torch.autograd.grad(out, leaf, torch.ones_like(out))
    mask = db.sample_mask(leaf.shape, 0.3, 3, seed=2)
    wide = np.float64 if dtype == torch.float64 else np.float32
    assert torch.equal(grad, torch.from_numpy(mask * core_scale(mask, wide)).to(dtype))


# --- non-finite inputs ------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", TORCH_DTYPES)
@pytest.mark.parametrize("inplace", [False, True])
def test_dropped_inf_and_nan_become_exactly_zero(dtype, inplace):
    x = positive((2, 3, 12, 12), dtype)
    mask = torch.from_numpy(db.sample_mask(x.shape, 0.3, 3, seed=2))
    x[0, 0] = float("inf")
    x[0, 1] = float("-inf")
    x[1, 2] = float("nan")
    out = dropblock(x.clone() if inplace else x, 0.3, 3, seed=2)
    assert not mask[0, 0].all() and not mask[1, 2].all()
    dropped = out[~mask]
    assert torch.equal(dropped, torch.zeros_like(dropped))
    assert not torch.signbit(dropped).any()  # +0.0, never -0.0
    assert torch.isinf(out[0, 0][mask[0, 0]]).all() and torch.isnan(out[1, 2][mask[1, 2]]).all()
    x = x.requires_grad_()
    (grad,) = torch.autograd.grad(dropblock(x, 0.3, 3, seed=2), x, torch.full_like(x, float("inf")))
    assert torch.equal(grad[~mask], torch.zeros_like(grad[~mask]))


# --- the validator ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["dropblock_torch DropBlock2d", "dropblock_torch dropblock"])
def test_the_validators_default_run_checks_the_adapter(name):
    ready, _ = available()
    (target,) = [t for t in ready if t.name == name]  # installed torch: in the default run
    assert not target.third_party and target.claims.name == "exact"
    report = validate(target.build(), spec=target.claims, budget="quick", name=name)
    assert report.passed, [(r.check, r.case, r.explanation) for r in report.failures]
    assert {"drop rate", "block structure", "gradient"} <= {r.check for r in report.results}


# --- package hygiene and the guide ------------------------------------------------------------


def test_package_imports_only_torch_the_core_and_the_standard_library():
    allowed = {"torch", "dropblock_core", "__future__"} | set(sys.stdlib_module_names)
    paths = sorted(PACKAGE.rglob("*.py"))
    assert len(paths) >= 8
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"


def test_importing_the_adapter_leaves_other_frameworks_out():
    code = "import dropblock_torch, dropblock_torch.compat.timm, dropblock_torch.compat.torchvision"
    assert frameworks_after(code) == ["torch"]


def test_all_lists_the_public_names():
    from dropblock_torch import _apply, compat, scheduler
    from dropblock_torch.compat import _common, timm, torchvision

    assert dropblock_torch.__all__ == [
        "DropBlock1d",
        "DropBlock2d",
        "DropBlock3d",
        "LinearScheduler",
        "dropblock",
    ]
    modules = (
        dropblock_torch,
        dropblock_torch.functional,
        dropblock_torch.modules,
        scheduler,
        _op,
        _apply,
        compat,
        _common,
        timm,
        torchvision,
    )
    for module in modules:
        public = {
            name
            for name, value in vars(module).items()
            if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__
        }
        assert public <= set(module.__all__), module.__name__
        assert all(hasattr(module, name) for name in module.__all__)


def test_guide_python_blocks_run():
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), flags=re.S)
    assert len(blocks) >= 3
    for block in blocks:  # each block is self-contained
        exec(compile(block, str(GUIDE), "exec"), {"__name__": "guide"})
