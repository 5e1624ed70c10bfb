"""The linear schedule and the adapters' shared configuration."""

from __future__ import annotations

import pytest

import dropblock_core as db
from dropblock_core.config import DropBlockConfig


def test_linear_schedule_ramps_then_stays():
    values = [db.linear_schedule(s, 10, 0.2) for s in range(15)]
    assert values[0] == 0.0 and values[10] == values[14] == 0.2
    assert all(b >= a for a, b in zip(values, values[1:]))
    assert values[5] == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("args", "exc"),
    [
        ((-1, 10, 0.1), ValueError),
        ((1.5, 10, 0.1), TypeError),
        ((1, -1, 0.1), ValueError),
        ((1, 10, 1.0), ValueError),
        ((True, 10, 0.1), TypeError),
    ],
)
def test_linear_schedule_bad_input(args, exc):
    with pytest.raises(exc):
        db.linear_schedule(*args)


def test_deprecated_in_config_schedule_warns_and_still_works():
    with pytest.warns(DeprecationWarning, match="LinearDropSchedule"):
        cfg = DropBlockConfig(0.1, 3, total_steps=10)
    assert cfg.drop_prob_at(5) == pytest.approx(0.05)
    with pytest.warns(DeprecationWarning):
        assert DropBlockConfig.from_dict(cfg.to_dict()).total_steps == 10


def test_config_validates_and_round_trips():
    cfg = DropBlockConfig(0.1, (3, 5), gamma="paper", seed_region="full", seed=7)
    assert DropBlockConfig.from_dict(cfg.to_dict()) == cfg
    assert cfg.to_dict()["block_size"] == [3, 5]
    assert cfg.core_kwargs() == dict(
        gamma="paper", seed_region="full", share_channels=False, share_batch=False
    )
    assert "seed_region='full'" in cfg.describe()


@pytest.mark.parametrize(
    ("kwargs", "exc", "needle"),
    [
        (dict(drop_prob=1.0), ValueError, "drop_prob"),
        (dict(block_size=0), ValueError, "block_size"),
        (dict(block_size=()), ValueError, "block_size"),
        (dict(block_size="3"), TypeError, "block_size"),
        (dict(gamma="approx"), ValueError, "gamma"),
        (dict(seed_region="x"), ValueError, "seed_region"),
        (dict(normalize="x"), ValueError, "normalize"),
        (dict(share_channels=1), TypeError, "share_channels"),
        (dict(seed=-1), ValueError, "seed"),
        (dict(total_steps=-1), ValueError, "total_steps"),
        (dict(total_steps=2.0), TypeError, "total_steps"),
    ],
)
def test_config_bad_input(kwargs, exc, needle):
    args = dict(drop_prob=0.1, block_size=3)
    args.update(kwargs)
    with pytest.raises(exc, match=needle):
        DropBlockConfig(**args)
