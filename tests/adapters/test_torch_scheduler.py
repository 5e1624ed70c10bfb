"""dropblock_torch.LinearScheduler: torch.optim.lr_scheduler conventions over
dropblock_core.schedule.LinearDropSchedule, and bit-exact resumption."""

from __future__ import annotations

import copy

import pytest
import torch
from dropblock_torch import DropBlock1d, DropBlock2d, LinearScheduler
from dropblock_torch.compat import timm as timm_alias
from torch import nn

import dropblock_core as db


def model(seed: int | None) -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        DropBlock2d(0.2, 3, seed=seed),
        nn.ReLU(),
        nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), DropBlock2d(0.1, 5, seed=seed)),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(8, 2),
    )


def test_construction_applies_step_zero_and_numbers_the_layers():
    net = model(seed=3)
    first, second = net[1], net[3][1]
    scheduler = LinearScheduler(net, total_steps=4)
    assert scheduler.layers == [first, second]
    assert (first.layer_id, second.layer_id) == (0, 1)
    assert first.mask_seed == 3 and second.mask_seed == db.layer_seed(3, 1)
    assert scheduler.target_drop_probs == [0.2, 0.1]
    assert scheduler.get_last_drop_prob() == [0.0, 0.0] == [first.drop_prob, second.drop_prob]
    assert scheduler.last_step == 0 and first.step == 0
    assert repr(scheduler) == "LinearScheduler(layers=2, total_steps=4, last_step=0)"


def test_each_step_sets_drop_prob_and_step_from_the_linear_schedule():
    net = model(seed=None)
    scheduler = LinearScheduler(net, total_steps=4)
    for step in range(1, 7):
        scheduler.step()
        expected = [db.linear_schedule(step, 4, p) for p in (0.2, 0.1)]
        assert scheduler.get_last_drop_prob() == expected
        assert [net[1].drop_prob, net[3][1].drop_prob] == expected
        assert net[1].step == net[3][1].step == scheduler.last_step == step
        assert repr(net[1]).startswith(f"DropBlock2d(drop_prob={expected[0]},")


def test_forward_calls_do_not_advance_the_schedule():
    # Gradient accumulation: four micro-batches per optimizer step.
    net = model(seed=1)
    scheduler = LinearScheduler(net, total_steps=10)
    x = torch.randn(2, 3, 8, 8)
    for _ in range(4):
        net(x).sum().backward()
    assert scheduler.last_step == 0 and net[1].step == 0 and net[1].drop_prob == 0.0
    scheduler.step()
    assert net[1].step == 1


def snapshot(net, optimizer, scheduler) -> dict:
    return {
        "model": copy.deepcopy(net.state_dict()),
        "optimizer": copy.deepcopy(optimizer.state_dict()),
        "scheduler": scheduler.state_dict(),
        "rng": torch.get_rng_state(),
    }


def train(net, optimizer, scheduler, steps: int, data: torch.Generator) -> list[torch.Tensor]:
    outputs = []
    for _ in range(steps):
        x = torch.randn(4, 3, 8, 8, generator=data)
        optimizer.zero_grad()
        out = net(x)
        out.square().sum().backward()
        optimizer.step()
        scheduler.step()
        outputs.append(out.detach())
    return outputs


@pytest.mark.parametrize("seed", [None, 17], ids=["seed-None", "seed-17"])
def test_resuming_from_state_dicts_is_bit_exact(seed):
    net = model(seed)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
    scheduler = LinearScheduler(net, total_steps=6)
    torch.manual_seed(5)
    train(net, optimizer, scheduler, 3, torch.Generator().manual_seed(0))
    saved = snapshot(net, optimizer, scheduler)
    assert saved["scheduler"] == {
        "total_steps": 6,
        "last_step": 3,
        "target_drop_probs": [0.2, 0.1],
    }
    data_state = torch.Generator().manual_seed(1)
    expected = train(net, optimizer, scheduler, 4, data_state)

    resumed = model(seed)  # a fresh process: new model, optimizer and scheduler
    resumed.load_state_dict(saved["model"], strict=True)
    new_optimizer = torch.optim.SGD(resumed.parameters(), lr=0.01)
    new_optimizer.load_state_dict(saved["optimizer"])
    new_scheduler = LinearScheduler(resumed, total_steps=6)  # reads targets 0.2 and 0.1
    new_scheduler.load_state_dict(saved["scheduler"])
    assert resumed[1].step == 3 and resumed[1].drop_prob == pytest.approx(0.1)
    torch.set_rng_state(saved["rng"])
    got = train(resumed, new_optimizer, new_scheduler, 4, torch.Generator().manual_seed(1))
    for a, b in zip(expected, got):
        assert torch.equal(a, b)
    assert (resumed[1].step, resumed[1].drop_prob) == (7, 0.2)


def test_resuming_into_a_scheduler_made_after_the_ramp_keeps_the_targets():
    # A scheduler built mid-run would read ramped drop_probs as targets; the state
    # dict carries the real ones.
    net = model(seed=None)
    scheduler = LinearScheduler(net, total_steps=4)
    scheduler.step()
    state = scheduler.state_dict()
    late = LinearScheduler(net, total_steps=4)  # reads 0.05 and 0.025 now
    late.load_state_dict(state)
    assert late.target_drop_probs == [0.2, 0.1] and net[1].drop_prob == 0.05


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="no DropBlock layer"):
        LinearScheduler(nn.Sequential(nn.ReLU()), total_steps=3)
    with pytest.raises(ValueError, match="no DropBlock layer"):  # upstream aliases are not ours
        LinearScheduler(nn.Sequential(timm_alias.DropBlock2d()), total_steps=3)
    with pytest.raises(TypeError, match="model"):
        LinearScheduler([DropBlock2d()], total_steps=3)
    with pytest.raises(TypeError, match="total_steps"):
        LinearScheduler(DropBlock1d(0.1, 3), total_steps=2.5)
    with pytest.raises(ValueError, match="total_steps"):
        LinearScheduler(DropBlock1d(0.1, 3), total_steps=-1)
    scheduler = LinearScheduler(model(seed=None), total_steps=3)
    with pytest.raises(ValueError, match="target_drop_probs"):
        scheduler.load_state_dict({"total_steps": 3, "last_step": 1, "target_drop_probs": [0.1]})
    with pytest.raises(ValueError, match="missing"):
        scheduler.load_state_dict({"total_steps": 3})
