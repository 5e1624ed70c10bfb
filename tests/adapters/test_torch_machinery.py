"""dropblock_torch inside torch's machinery: activation checkpointing, torch.fx
(and a torchvision-style feature extractor), torch.func, saving and strict
loading, device moves, meta tensors, and a forward that changes no state.

Expected masks come from the NumPy core (``dropblock_core.sample_mask``).
"""

from __future__ import annotations

import copy
import io
import math

import numpy as np
import pytest
import torch
from dropblock_torch import DropBlock2d, DropBlock3d, LinearScheduler, dropblock
from dropblock_torch.compat import timm as timm_alias
from dropblock_torch.compat import torchvision as tv_alias
from torch import fx, nn
from torch.func import functional_call, grad, vmap
from torch.utils.checkpoint import checkpoint

import dropblock_core as db


def positive(shape, seed=0):
    """Inputs in [0.5, 1.5): never zero, so the zeros of the output are the mask's."""
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed)) + 0.5


def core_mask(shape, drop_prob, block, **kwargs) -> torch.Tensor:
    return torch.from_numpy(db.sample_mask(shape, drop_prob, block, **kwargs))


class Block(nn.Module):
    """conv -> DropBlock -> ReLU -> conv, with a residual connection."""

    def __init__(self, channels: int, seed: int | None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.drop = DropBlock2d(0.3, 3, seed=seed)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(torch.relu(self.drop(self.conv1(x))))


class TinyResNet(nn.Module):
    """A ResNet-shaped model with DropBlock in its blocks and on a skip path."""

    def __init__(self, seed: int | None = 5) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.layer1 = Block(8, seed)
        self.layer2 = Block(8, seed)
        self.skip_drop = DropBlock2d(0.2, 5, seed=seed)
        self.head = nn.Linear(8, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer2(self.layer1(self.stem(x)))
        x = self.skip_drop(x) + dropblock(x, 0.1, 3, seed=11)  # the functional form too
        return self.head(x.mean((2, 3)))


# --- activation checkpointing -----------------------------------------------------------------


def training_step(model: nn.Module, x: torch.Tensor, checkpointed: bool, reentrant: bool):
    """Loss, input gradient and parameter gradients of one step (optionally with
    each block under ``torch.utils.checkpoint``)."""
    model.zero_grad()
    x = x.clone().requires_grad_()
    h = model.stem(x)
    for block in (model.layer1, model.layer2):
        h = checkpoint(block, h, use_reentrant=reentrant) if checkpointed else block(h)
    h = model.skip_drop(h)
    loss = model.head(h.mean((2, 3))).square().sum()
    loss.backward()
    return loss.detach(), x.grad, [p.grad.clone() for p in model.parameters()]


@pytest.mark.parametrize("seed", [None, 5], ids=["seed-None", "seed-5"])
@pytest.mark.parametrize("reentrant", [True, False], ids=["reentrant", "non-reentrant"])
def test_checkpointed_and_plain_steps_give_equal_gradients(seed, reentrant):
    torch.manual_seed(0)
    model = TinyResNet(seed)
    LinearScheduler(model, total_steps=0)  # numbers the layers (distinct explicit seeds)
    x = positive((2, 3, 12, 12))
    outputs = []  # every output of layer1's DropBlock, recomputations included
    model.layer1.drop.register_forward_hook(lambda m, a, out: outputs.append(out.detach()))
    torch.manual_seed(1)
    plain = training_step(model, x, checkpointed=False, reentrant=reentrant)
    torch.manual_seed(1)
    ckpt = training_step(model, x, checkpointed=True, reentrant=reentrant)
    assert len(outputs) == 3  # plain, checkpointed forward, recomputation
    assert all(torch.equal(out, outputs[0]) for out in outputs)
    assert (outputs[0] == 0).any()  # blocks were dropped
    assert torch.equal(plain[0], ckpt[0]) and torch.equal(plain[1], ckpt[1])
    for a, b in zip(plain[2], ckpt[2]):
        assert torch.equal(a, b)


# --- torch.fx -----------------------------------------------------------------------------------


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
def test_fx_trace_equals_the_model(train):
    torch.manual_seed(0)
    model = TinyResNet(seed=5).train(train)
    LinearScheduler(model, total_steps=4).step()
    traced = fx.symbolic_trace(model)
    x = positive((2, 3, 12, 12))
    assert torch.equal(traced(x), model(x))
    calls = [n.target.__name__ for n in traced.graph.nodes if n.op == "call_function"]
    if train:  # one node per layer and one for the functional call; counters are get_attr
        assert calls.count("drop_blocks") == 3 and calls.count("dropblock") == 1
        attrs = {n.target for n in traced.graph.nodes if n.op == "get_attr"}
        assert {"skip_drop._step", "layer1.drop._drop_prob_bits"} <= attrs
        # The traced module reads the model's buffers: the scheduler drives both.
        model.skip_drop.step = 3
        model.skip_drop.drop_prob = 0.1
        assert torch.equal(traced(x), model(x))
    else:
        assert "drop_blocks" not in calls


class FeatureTracer(fx.Tracer):
    """Names each node by the module path it comes from, as torchvision's
    ``create_feature_extractor`` does (its ``NodePathTracer``)."""

    def __init__(self) -> None:
        super().__init__()
        self.current = ""
        self.paths: dict[fx.Node, str] = {}

    def call_module(self, m, forward, args, kwargs):  # noqa: ANN001, ANN201
        outer, self.current = self.current, self.path_of_module(m)
        try:
            return super().call_module(m, forward, args, kwargs)
        finally:
            self.current = outer

    def create_proxy(self, kind, target, args, kwargs, *rest, **more):  # noqa: ANN001, ANN201
        proxy = super().create_proxy(kind, target, args, kwargs, *rest, **more)
        self.paths[proxy.node] = self.current
        return proxy


def feature_extractor(model: nn.Module, return_nodes: list[str]) -> fx.GraphModule:
    """A GraphModule returning the last node created under each module path."""
    tracer = FeatureTracer()
    graph = tracer.trace(model)
    last = {tracer.paths[node]: node for node in graph.nodes if node in tracer.paths}
    output = next(node for node in graph.nodes if node.op == "output")
    with graph.inserting_before(output):
        graph.output({name: last[name] for name in return_nodes})
    graph.erase_node(output)
    module = fx.GraphModule(model, graph)
    module.graph.eliminate_dead_code()
    module.recompile()
    return module


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
def test_feature_extraction_on_a_resnet_with_dropblock(train):
    torch.manual_seed(0)
    model = TinyResNet(seed=5).train(train)
    LinearScheduler(model, total_steps=0)
    # In eval mode a DropBlock layer returns its input and adds no node of its own
    # (torchvision's get_graph_node_names lists train and eval nodes apart for this).
    names = ["layer1.drop", "layer1", "layer2.drop", "skip_drop"] if train else ["layer1", "layer2"]
    extractor = feature_extractor(model, names)
    seen: dict[str, torch.Tensor] = {}
    for name in names:
        model.get_submodule(name).register_forward_hook(
            lambda m, a, out, name=name: seen.setdefault(name, out)
        )
    x = positive((2, 3, 12, 12))
    model(x)
    features = extractor(x)
    assert list(features) == names
    for name in names:
        assert torch.equal(features[name], seen[name]), name
    if train:
        assert (features["layer2.drop"] == 0).any()


@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("p", [0, 1])
@pytest.mark.parametrize("inplace", [True, False])
def test_torchvision_alias_is_one_node_when_traced(dims, p, inplace):
    # torchvision's test_is_leaf_node, re-expressed: a wrapper calling the layer
    # traces to its input and one call.
    layer = (tv_alias.DropBlock2d if dims == 2 else tv_alias.DropBlock3d)(p, 5, inplace)

    class Wrapper(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layer = layer

        def forward(self, a: torch.Tensor) -> torch.Tensor:
            return self.layer(a)

    for mode in (True, False):
        graph = FeatureTracer().trace(Wrapper().train(mode))
        ops = [n.op for n in graph.nodes if n.op != "output"]
        assert ops == ["placeholder", "call_function"]


def test_timm_alias_traces_in_both_modes():
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), timm_alias.DropBlock2d(0.2, 3))
    for mode in (True, False):
        traced = fx.symbolic_trace(model.train(mode))
        x = positive((2, 3, 10, 10))
        torch.manual_seed(2)
        expected = model(x)
        torch.manual_seed(2)
        assert torch.equal(traced(x), expected)


# --- torch.func -------------------------------------------------------------------------------


def test_func_grad_through_a_layer_is_mask_times_scale():
    layer = DropBlock2d(0.3, 3, seed=1)
    x = positive((2, 3, 12, 12))
    g = grad(lambda t: functional_call(layer, {}, (t,)).sum())(x)
    mask = core_mask(x.shape, 0.3, 3, seed=1)
    scale = torch.tensor(mask.numel() / mask.sum().item(), dtype=torch.float32)
    assert torch.equal(g, mask * scale)


def test_func_grad_of_parameters_with_functional_call():
    torch.manual_seed(0)
    model = TinyResNet(seed=5)
    model.stem[1].eval()  # BatchNorm in training mode updates buffers, which grad refuses
    params = dict(model.named_parameters())
    x = positive((2, 3, 12, 12))

    def loss(p):
        return functional_call(model, p, (x,)).square().sum()

    grads = grad(loss)(params)
    model.zero_grad()
    loss(params).backward()
    for name, p in model.named_parameters():
        assert torch.allclose(grads[name], p.grad, rtol=1e-5, atol=1e-6), name


def test_functional_call_can_replace_the_step_buffer():
    layer = DropBlock2d(0.3, 3, seed=1)
    x = positive((2, 3, 12, 12))
    out = functional_call(layer, {"_step": torch.tensor(9)}, (x,))
    assert torch.equal(out != 0, core_mask(x.shape, 0.3, 3, seed=1, step=9))
    assert layer.step == 0  # the layer itself is untouched


def test_vmap_over_an_ensemble_axis():
    xs = positive((4, 2, 3, 12, 12))
    seeded = DropBlock2d(0.3, 3, seed=1)
    out = vmap(seeded)(xs)  # an explicit seed: the same mask for every member
    mask = core_mask(xs.shape[1:], 0.3, 3, seed=1)
    assert all(torch.equal(out[i] != 0, mask) for i in range(4))
    layer = DropBlock2d(0.3, 3)
    different = vmap(layer, randomness="different")(xs)
    assert not torch.equal(different[0] != 0, different[1] != 0)
    same = vmap(layer, randomness="same")(xs)
    assert all(torch.equal(same[i] != 0, same[0] != 0) for i in range(4))
    with pytest.raises(RuntimeError, match="randomness"):  # torch's rule for random ops
        vmap(layer)(xs)


def test_vmap_gradient_per_member():
    xs = positive((3, 2, 3, 10, 10))
    layer = DropBlock2d(0.3, 3, seed=2)
    grads = vmap(grad(lambda t: layer(t).sum()))(xs)
    mask = core_mask(xs.shape[1:], 0.3, 3, seed=2)
    scale = torch.tensor(mask.numel() / mask.sum().item(), dtype=torch.float32)
    assert all(torch.equal(g, mask * scale) for g in grads)


# --- state: strict loading, saving, devices, meta ------------------------------------------------


def test_state_dict_is_empty_and_strict_loading_works_both_ways():
    for layer in (
        DropBlock2d(),
        DropBlock3d(0.1, 3, seed=1),
        tv_alias.DropBlock2d(0.1, 7),
        timm_alias.DropBlock2d(),
    ):
        assert layer.state_dict() == {}
    torch.manual_seed(0)
    with_db = nn.Sequential(nn.Conv2d(3, 4, 3), DropBlock2d(0.1, 3, seed=2), nn.BatchNorm2d(4))
    without = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Identity(), nn.BatchNorm2d(4))
    LinearScheduler(with_db, total_steps=10).step()  # a scheduled layer mid-training
    assert set(with_db.state_dict()) == set(without.state_dict())
    without.load_state_dict(with_db.state_dict(), strict=True)
    with_db.load_state_dict(without.state_dict(), strict=True)
    pretrained = TinyResNet(seed=None)  # DropBlock inserted into a "pretrained" ResNet
    plain = TinyResNet(seed=None)
    for module in (plain.layer1, plain.layer2):
        module.drop = nn.Identity()
    plain.skip_drop = nn.Identity()
    pretrained.load_state_dict(plain.state_dict(), strict=True)
    plain.load_state_dict(pretrained.state_dict(), strict=True)


def test_deepcopy_and_whole_module_save_keep_the_values():
    layer = DropBlock2d(0.3, 3, seed=7)
    LinearScheduler(layer, total_steps=4).step()
    buffer = io.BytesIO()
    torch.save(layer, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)
    x = positive((2, 3, 10, 10))
    for other in (copy.deepcopy(layer), loaded):
        assert (other.drop_prob, other.step) == (layer.drop_prob, layer.step) == (0.075, 1)
        assert torch.equal(other(x), layer(x))


@pytest.mark.parametrize(
    "convert",
    [
        pytest.param(lambda m: m.half(), id="half"),
        pytest.param(lambda m: m.to(torch.bfloat16), id="bfloat16"),
        pytest.param(lambda m: m.double(), id="double"),
        pytest.param(lambda m: m.to("cpu"), id="to-cpu"),
    ],
)
def test_dtype_and_device_moves_keep_drop_prob_exact(convert):
    layer = DropBlock2d(0.1, 3, seed=1)
    layer.drop_prob = 0.1 + 2**-40  # not representable in float16 / bfloat16 / float32
    layer.step = 3
    convert(layer)
    assert layer._drop_prob_bits.dtype == torch.int64
    assert layer._drop_prob_bits.view(torch.float64).item() == 0.1 + 2**-40
    x = positive((2, 3, 10, 10))
    expected = db.dropblock(x.numpy(), 0.1 + 2**-40, 3, seed=1, step=3)
    assert torch.equal(layer(x), torch.from_numpy(expected))


def test_meta_device_gives_shapes_and_to_empty_restores_the_values():
    with torch.device("meta"):
        model = nn.Sequential(nn.Conv2d(3, 4, 3), DropBlock2d(0.2, 3, seed=4))
    y = model(torch.empty(2, 3, 12, 12, device="meta"))
    assert y.device.type == "meta" and y.shape == (2, 4, 10, 10)
    assert dropblock(torch.empty(2, 3, 8, 8, device="meta"), 0.1, 3).shape == (2, 3, 8, 8)
    assert repr(model[1]) == "DropBlock2d(drop_prob=0.2, block_size=3, seed=4)"
    model.to_empty(device="cpu")  # buffers come back uninitialised: rewritten from the values
    layer = model[1]
    assert layer._drop_prob_bits.view(torch.float64).item() == 0.2
    assert layer._step.item() == 0 and layer._seed_words.tolist() == [4, 0]
    x = positive((2, 4, 10, 10))
    assert torch.equal(layer(x) != 0, core_mask(x.shape, 0.2, 3, seed=4))


# --- forward is pure; drop_prob is read every call ------------------------------------------------


def snapshot(module: nn.Module) -> tuple[dict, dict]:
    tensors = {k: v.clone() for k, v in module.state_dict(keep_vars=True).items()}
    tensors.update({f"buffer:{k}": v.clone() for k, v in module.named_buffers()})
    plain = {
        (name, key): copy.copy(value)
        for name, m in module.named_modules()
        for key, value in vars(m).items()
        if not isinstance(value, (torch.Tensor, dict))
    }
    return tensors, plain


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: DropBlock2d(0.3, 3), id="seed-None"),
        pytest.param(lambda: DropBlock2d(0.3, 3, seed=1, share_channels=True), id="seeded"),
        pytest.param(lambda: TinyResNet(seed=5), id="resnet"),
        pytest.param(lambda: tv_alias.DropBlock2d(0.3, 3), id="torchvision-alias"),
        pytest.param(lambda: timm_alias.DropBlock2d(0.3, 3, with_noise=True), id="timm-alias"),
    ],
)
def test_forward_changes_no_state(make):
    module = make()
    if any(isinstance(m, DropBlock2d) for m in module.modules()):
        LinearScheduler(module, total_steps=3).step()
    channels = 3 if isinstance(module, TinyResNet) else 4
    x = positive((2, channels, 12, 12))
    for m in module.modules():  # BatchNorm's running statistics are state of their own
        m.training = not isinstance(m, nn.BatchNorm2d)
    tensors, plain = snapshot(module)
    for _ in range(3):
        module(x).sum().backward() if isinstance(module, TinyResNet) else module(x)
    after_tensors, after_plain = snapshot(module)
    assert after_plain == plain
    assert tensors.keys() == after_tensors.keys()
    for key, value in tensors.items():
        assert torch.equal(value, after_tensors[key]), key


@pytest.mark.slow  # 2 x 40 forwards of a 64 x 16 x 28 x 28 tensor
def test_setting_drop_prob_gives_that_drop_rate_within_five_standard_errors():
    torch.manual_seed(0)
    layer = DropBlock2d(0.1, 5)  # gamma="exact": the expected drop rate is drop_prob itself
    x = torch.ones(64, 16, 28, 28)
    rates = {}
    for drop_prob in (0.05, 0.2):
        layer.drop_prob = drop_prob
        # One drop fraction per (sample, channel) map: independent masks.
        fractions = torch.cat(
            [(layer(x) == 0).double().mean((2, 3)).flatten() for _ in range(40)]
        ).numpy()
        mean = fractions.mean()
        se = fractions.std(ddof=1) / math.sqrt(fractions.size)
        z = (mean - drop_prob) / se
        rates[drop_prob] = (mean, z)
        assert abs(z) < 5, (drop_prob, mean, se, z)
    assert rates[0.2][0] > 3 * rates[0.05][0]
    print({p: (round(m, 5), round(z, 2)) for p, (m, z) in rates.items()})


def test_drop_rate_statistics_catch_a_wrong_rate():
    # The same statistic rejects the paper's gamma, which under-drops (0.0929 at 14x14).
    torch.manual_seed(0)
    x = torch.ones(64, 16, 14, 14)
    fractions = np.concatenate(
        [
            (dropblock(x, 0.1, 7, gamma="paper") == 0).double().mean((2, 3)).flatten().numpy()
            for _ in range(20)
        ]
    )
    z = (fractions.mean() - 0.1) / (fractions.std(ddof=1) / math.sqrt(fractions.size))
    assert z < -5
