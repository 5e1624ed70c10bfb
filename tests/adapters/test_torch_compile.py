"""dropblock_torch under torch.compile and torch.export: one graph, any shape.

The mask is the custom operator ``dropblock_torch::keep_mask``, opaque to
Dynamo; its fake implementation builds the mask's shape from symbolic sizes,
so batch and map sizes may change (automatic dynamic, ``dynamic=True``,
``torch.export`` with a dynamic batch). The drop probability, step and seed
are buffers, so a scheduler changing them never recompiles. Compiled results
must equal eager ones bit for bit for a fixed seed and step.
"""

from __future__ import annotations

import contextlib

import pytest
import torch
from dropblock_torch import DropBlock2d, LinearScheduler, dropblock
from dropblock_torch.compat import timm as timm_alias
from dropblock_torch.compat import torchvision as tv_alias
from torch import nn
from torch._dynamo.testing import CompileCounterWithBackend

import dropblock_core as db

# Importing torch._inductor (torch.compile's backend) trips torch's own deprecation
# of torch.jit.script_method; nothing in this project calls it.
pytestmark = pytest.mark.filterwarnings(
    "ignore:`torch.jit.script_method` is deprecated:DeprecationWarning"
)


def positive(shape, seed=0):
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed)) + 0.5


def functional(x):
    return dropblock(x, 0.3, 3, seed=9, step=4, replica=1)


class Net(nn.Module):
    """Two DropBlock layers around a ReLU: exact operations in any compiler, so
    compiled outputs and gradients must equal eager ones bit for bit."""

    def __init__(self, seed: int | None = 9) -> None:
        super().__init__()
        self.drop = DropBlock2d(0.3, 3, seed=seed)
        self.drop2 = DropBlock2d(0.2, 5, seed=seed, share_channels=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop2(torch.relu(self.drop(x)))


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: functional, id="functional"),
        pytest.param(lambda: DropBlock2d(0.3, 3, seed=9), id="layer-seeded"),
        pytest.param(lambda: DropBlock2d(0.3, 3, share_channels=True), id="layer-random"),
        pytest.param(lambda: tv_alias.DropBlock2d(0.3, 3), id="torchvision-alias"),
        pytest.param(lambda: timm_alias.DropBlock2d(0.3, 3, with_noise=True), id="timm-alias"),
    ],
)
def test_dynamo_traces_one_graph_without_breaks(make):
    x = positive((2, 3, 10, 10))
    torch._dynamo.reset()
    explanation = torch._dynamo.explain(make())(x)
    assert explanation.graph_break_count == 0
    assert explanation.graph_count == 1
    # fullgraph=True raises on any graph break, in nested calls too.
    out = torch.compile(make(), fullgraph=True, backend="eager")(x)
    assert out.shape == x.shape and torch.isfinite(out).all()


SHAPES = [
    (4, 3, 12, 12),
    (3, 3, 12, 12),
    (7, 3, 12, 12),
    (1, 3, 12, 12),
    (3, 3, 9, 14),
    (2, 3, 20, 16),
]


def run_shapes(compiled, eager, shapes, memory_format=torch.contiguous_format):
    for shape in shapes:
        a = (positive(shape) - 1.0).to(memory_format=memory_format).requires_grad_()
        b = a.detach().clone().requires_grad_()
        weight = positive(shape, seed=1)
        out_compiled, out_eager = compiled(a), eager(b)
        assert torch.equal(out_compiled, out_eager), shape
        assert out_compiled.is_contiguous(memory_format=memory_format), shape
        (out_compiled * weight).sum().backward()
        (out_eager * weight).sum().backward()
        assert torch.equal(a.grad, b.grad), shape
        assert (a.grad == 0).any() and (a.grad != 0).any()


@pytest.mark.slow  # Inductor compiles: several seconds each
@pytest.mark.parametrize("dynamic", [None, True], ids=["automatic-dynamic", "dynamic-True"])
def test_compile_with_four_batch_sizes_and_changing_maps(dynamic):
    torch.manual_seed(0)
    model = Net()
    LinearScheduler(model, total_steps=0)
    counter = CompileCounterWithBackend("inductor")
    torch._dynamo.reset()
    compiled = torch.compile(model, fullgraph=True, dynamic=dynamic, backend=counter)
    run_shapes(compiled, model, SHAPES)
    # Recompiles are torch's own rules, none caused by the layer: sizes 0 and 1 are
    # specialised (batch 1 gets a graph), "duck sizing" assumes H == W while every map
    # seen is square (9 x 14 ends that), and automatic dynamic starts with a static graph.
    assert counter.frame_count <= (3 if dynamic else 4)


@pytest.mark.slow  # an Inductor compile
def test_compile_channels_last_with_dynamic_batch():
    torch.manual_seed(0)
    model = Net().to(memory_format=torch.channels_last)
    torch._dynamo.reset()
    compiled = torch.compile(model, fullgraph=True, dynamic=True)
    run_shapes(compiled, model, SHAPES[:3], memory_format=torch.channels_last)


@pytest.mark.slow  # an Inductor compile
def test_scheduler_changes_never_recompile_and_match_eager():
    torch.manual_seed(0)
    model = Net()
    scheduler = LinearScheduler(model, total_steps=3)
    torch._dynamo.reset()
    compiled = torch.compile(model, fullgraph=True)
    x = positive((2, 3, 10, 10))
    with contextlib.ExitStack() as stack:
        for step in range(5):
            if step == 1:  # drop_prob and step are buffers: a new step must not recompile
                stack.enter_context(torch._dynamo.config.patch(error_on_recompile=True))
            out = compiled(x)
            assert torch.equal(out, model(x))
            drop = db.linear_schedule(step, 3, 0.3)
            mask = db.sample_mask(x.shape, drop, 3, seed=9, step=step)
            assert torch.equal(model.drop(x) != 0, torch.from_numpy(mask))
            scheduler.step()


@pytest.mark.slow  # an Inductor compile
def test_compiled_functional_without_seed_is_random_per_call():
    compiled = torch.compile(lambda x: dropblock(x, 0.3, 3), fullgraph=True)
    x = positive((2, 4, 12, 12))
    first, second = compiled(x), compiled(x)
    assert not torch.equal(first != 0, second != 0)
    for out in (first, second):  # kept units carry the core's global scale
        kept = out != 0
        scale = torch.tensor(out.numel() / kept.sum().item(), dtype=torch.float32)
        assert torch.equal(out[kept], x[kept] * scale)


def test_export_in_train_mode_with_a_dynamic_batch():
    torch.manual_seed(0)
    model = Net().train()
    LinearScheduler(model, total_steps=0)
    batch = torch.export.Dim("batch", min=1, max=64)
    program = torch.export.export(
        model, (positive((4, 3, 12, 12)),), dynamic_shapes={"x": {0: batch}}
    )
    exported = program.module()
    for n in (1, 4, 9):
        x = positive((n, 3, 12, 12))
        assert torch.equal(exported(x), model(x)), n
    targets = {str(node.target) for node in program.graph.nodes}
    assert "dropblock_torch.keep_mask.default" in targets
