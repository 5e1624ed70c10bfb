"""The framework-free layer base, layer seeds and the schedule every adapter drives."""

from __future__ import annotations

import numpy as np
import pytest

import dropblock_core as db
from dropblock_core.layer import DropBlockLayer
from dropblock_core.rng import LAYER_TAG
from dropblock_core.schedule import LinearDropSchedule
from dropblock_core.threefry import threefry2x32


class Layer2d(DropBlockLayer):
    spatial_dims = 2

    def __init__(self, drop_prob=0.1, block_size=7, **options):
        self._init_dropblock(drop_prob, block_size, **options)


class AnyRank(DropBlockLayer):
    def __init__(self, drop_prob=0.1, block_size=3, **options):
        self._init_dropblock(drop_prob, block_size, **options)


def test_drop_prob_is_settable_validated_and_reported():
    layer = Layer2d(0.1, 7, seed=3, gamma="paper")
    assert layer.describe() == "drop_prob=0.1, block_size=7, gamma='paper', seed=3"
    layer.drop_prob = 0.05
    assert layer.drop_prob == 0.05
    assert layer.config.drop_prob == 0.05
    assert layer.describe().startswith("drop_prob=0.05,")
    assert layer.dropblock_config()["drop_prob"] == 0.05
    with pytest.raises(ValueError, match="drop_prob"):
        layer.drop_prob = 1.0
    with pytest.raises(TypeError, match="drop_prob"):
        layer.drop_prob = "0.1"
    assert layer.drop_prob == 0.05  # a refused value changes nothing


@pytest.mark.parametrize(
    "name", ["block_size", "gamma", "seed_region", "normalize", "share_channels", "seed", "config"]
)
def test_fixed_options_cannot_be_replaced(name):
    layer = Layer2d()
    before = layer.describe()
    with pytest.raises(AttributeError):
        setattr(layer, name, getattr(layer, name))
    assert layer.describe() == before


def test_block_size_must_match_the_spatial_rank():
    assert Layer2d(0.1, (3, 5)).block_size == (3, 5)
    with pytest.raises(ValueError, match="block_size"):
        Layer2d(0.1, (3, 5, 7))
    assert AnyRank(0.1, (3, 5, 7)).block_size == (3, 5, 7)


@pytest.mark.parametrize(
    ("kwargs", "exc", "needle"),
    [
        (dict(drop_prob=-0.1), ValueError, "drop_prob"),
        (dict(block_size=0), ValueError, "block_size"),
        (dict(gamma="approx"), ValueError, "gamma"),
        (dict(seed=2**64), ValueError, "seed"),
        (dict(share_batch="yes"), TypeError, "share_batch"),
    ],
)
def test_bad_configuration_names_the_parameter(kwargs, exc, needle):
    with pytest.raises(exc, match=needle):
        Layer2d(**kwargs)


def test_step_and_layer_id_are_checked_32_bit_counters():
    layer = Layer2d()
    layer.step = 2**32 - 1
    layer.layer_id = 4
    assert (layer.step, layer.layer_id) == (2**32 - 1, 4)
    for name, value, exc in (("step", -1, ValueError), ("layer_id", 2**32, ValueError)):
        with pytest.raises(exc, match=name):
            setattr(layer, name, value)
    with pytest.raises(TypeError, match="step"):
        layer.step = 1.0


def test_layer_seed_is_the_seed_for_layer_zero_and_threefry_otherwise():
    assert db.layer_seed(12345, 0) == 12345
    seed = 0x0123456789ABCDEF
    x0, x1 = threefry2x32(
        (seed & 0xFFFFFFFF, seed >> 32),
        (np.array([3], np.uint32), np.array([LAYER_TAG], np.uint32)),
        xp=np,
    )
    assert db.layer_seed(seed, 3) == int(x0[0]) | int(x1[0]) << 32
    seeds = {db.layer_seed(0, i) for i in range(1000)}
    assert len(seeds) == 1000
    with pytest.raises(ValueError, match="layer_id"):
        db.layer_seed(0, -1)
    with pytest.raises(TypeError, match="seed"):
        db.layer_seed(None, 1)


def test_mask_seed_follows_the_layer_id():
    layer = Layer2d(seed=9)
    assert layer.mask_seed == 9
    layer.layer_id = 2
    assert layer.mask_seed == db.layer_seed(9, 2)
    assert Layer2d().mask_seed is None


def test_two_layers_with_one_seed_draw_different_masks_once_numbered():
    a, b = Layer2d(0.2, 3, seed=0), Layer2d(0.2, 3, seed=0)
    LinearDropSchedule([a, b], total_steps=0)
    masks = [
        db.sample_mask((2, 4, 12, 12), 0.2, 3, seed=layer.mask_seed, step=layer.step)
        for layer in (a, b)
    ]
    assert not np.array_equal(*masks)


def test_schedule_ramps_each_layer_to_its_own_target():
    layers = [Layer2d(0.1), Layer2d(0.3)]
    schedule = LinearDropSchedule(layers, total_steps=10)
    seen = []
    for _ in range(12):
        schedule.step()
        seen.append([layer.drop_prob for layer in layers])
    assert seen[4] == pytest.approx([0.05, 0.15])
    assert seen[9] == seen[11] == [0.1, 0.3]
    assert [layer.step for layer in layers] == [12, 12]
    assert schedule.get_last_drop_prob() == [0.1, 0.3]


def test_schedule_resumes_exactly():
    def run(steps, state=None):
        layers = [Layer2d(0.1), Layer2d(0.2)]
        schedule = LinearDropSchedule(layers, total_steps=7)
        if state is not None:
            schedule.load_state_dict(state)
        trace = []
        for _ in range(steps):
            schedule.step()
            trace.append([(layer.drop_prob, layer.step) for layer in layers])
        return schedule.state_dict(), trace

    state, first = run(3)
    _, rest = run(5, state)
    _, whole = run(8)
    assert first + rest == whole  # bit-exact, floats compared with ==


def test_resumed_schedule_keeps_targets_not_the_ramped_values():
    layer = Layer2d(0.2)
    schedule = LinearDropSchedule([layer], total_steps=4)
    schedule.step()
    state = schedule.state_dict()
    fresh = Layer2d(0.2)
    fresh.drop_prob = 0.05  # e.g. restored from a mid-ramp model
    resumed = LinearDropSchedule([fresh], total_steps=4)
    resumed.load_state_dict(state)
    for _ in range(3):
        resumed.step()
    assert fresh.drop_prob == 0.2


@pytest.mark.parametrize(
    ("state", "needle"),
    [
        (dict(total_steps=4, last_step=1), "missing"),
        (dict(total_steps=4, last_step=-1, target_drop_probs=[0.1]), "last_step"),
        (dict(total_steps=4, last_step=1, target_drop_probs=[0.1, 0.2]), "2 target_drop_probs"),
        (dict(total_steps=4, last_step=1, target_drop_probs=[1.5]), "target_drop_probs"),
    ],
)
def test_schedule_refuses_bad_states(state, needle):
    schedule = LinearDropSchedule([Layer2d()], total_steps=4)
    with pytest.raises(ValueError, match=needle):
        schedule.load_state_dict(state)
    assert schedule.last_step == 0


def test_schedule_needs_layers_and_a_valid_length():
    with pytest.raises(ValueError, match="at least one"):
        LinearDropSchedule([], total_steps=3)
    with pytest.raises(ValueError, match="total_steps"):
        LinearDropSchedule([Layer2d()], total_steps=-1)
    with pytest.raises(TypeError, match="total_steps"):
        LinearDropSchedule([Layer2d()], total_steps=2.5)
