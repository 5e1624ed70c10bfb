"""dropblock_torch under torch.compile: one graph, and the eager results.

The mask is the custom operator ``dropblock_torch::keep_mask``, opaque to
Dynamo, so the forward traces without graph breaks; compiled results must
equal eager ones bit for bit for a fixed seed and step.
"""

from __future__ import annotations

import contextlib

import pytest
import torch
from dropblock_torch import DropBlock2d, dropblock

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


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: functional, id="functional"),
        pytest.param(lambda: DropBlock2d(0.3, 3, seed=9, total_steps=5), id="layer-seeded"),
        pytest.param(lambda: DropBlock2d(0.3, 3, share_channels=True), id="layer-random"),
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


@pytest.mark.slow  # an Inductor compile: several seconds
def test_compiled_layer_equals_eager_step_by_step():
    eager = DropBlock2d(0.3, 3, seed=9, total_steps=3)
    compiled_layer = DropBlock2d(0.3, 3, seed=9, total_steps=3)
    compiled = torch.compile(compiled_layer, fullgraph=True)
    x = positive((2, 3, 10, 10))
    with contextlib.ExitStack() as stack:
        for step in range(4):
            if step == 1:  # the step is a tensor in the graph: a new step must not recompile
                stack.enter_context(torch._dynamo.config.patch(error_on_recompile=True))
            a = x.clone().requires_grad_()
            b = x.clone().requires_grad_()
            out_eager, out_compiled = eager(a), compiled(b)
            assert torch.equal(out_eager, out_compiled)
            drop = db.linear_schedule(step, 3, 0.3)
            mask = db.sample_mask(x.shape, drop, 3, seed=9, step=step)
            assert torch.equal(out_compiled != 0, torch.from_numpy(mask))
            out_eager.sum().backward()
            out_compiled.sum().backward()
            assert torch.equal(a.grad, b.grad)
    assert int(compiled_layer.step) == int(eager.step) == 4


@pytest.mark.slow  # an Inductor compile: several seconds
def test_compiled_functional_without_seed_is_random_per_call():
    compiled = torch.compile(lambda x: dropblock(x, 0.3, 3), fullgraph=True)
    x = positive((2, 4, 12, 12))
    first, second = compiled(x), compiled(x)
    assert not torch.equal(first != 0, second != 0)
    for out in (first, second):  # kept units carry the core's global scale
        kept = out != 0
        scale = torch.tensor(out.numel() / kept.sum().item(), dtype=torch.float32)
        assert torch.equal(out[kept], x[kept] * scale)
