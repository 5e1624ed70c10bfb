"""DropBlock2d under DistributedDataParallel: each rank draws its own masks.

Two CPU processes (gloo, loopback) train a tiny conv model for two steps; a
forward hook records the DropBlock layer's input and output; a LinearScheduler
sets the step after each optimizer step. With the same seed and step, each
rank's output must be the core's with ``replica=rank``.
This file is also the worker: ``python test_torch_ddp.py RANK PORT OUT_DIR``.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist
from dropblock_torch import DropBlock2d, LinearScheduler
from torch import nn
from torch.nn.parallel import DistributedDataParallel

import dropblock_core as db

WORLD = 2
SEED = 1234
STEPS = 2
DROP, BLOCK = 0.3, 3
TIMEOUT = 50  # seconds for both ranks together


def worker(rank: int, port: int, out_dir: Path) -> None:
    faulthandler.dump_traceback_later(TIMEOUT - 15, exit=True)  # a hung rank shows where
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), GLOO_SOCKET_IFNAME="lo")
    dist.init_process_group("gloo", rank=rank, world_size=WORLD)
    torch.manual_seed(0)  # same initial weights on every rank
    layer = DropBlock2d(DROP, BLOCK, seed=SEED)
    model = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1),
        layer,
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(4, 2),
    )
    scheduler = LinearScheduler(model, total_steps=0)  # sets the step, once per optimizer step
    records: list[dict] = []
    layer.register_forward_hook(
        lambda mod, args, out: records.append(
            {"input": args[0].detach().clone(), "output": out.detach().clone()}
        )
    )
    ddp = DistributedDataParallel(model)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.1)
    data = torch.Generator().manual_seed(100 + rank)  # each rank its own batch
    for _ in range(STEPS):
        x = torch.randn(2, 2, 10, 10, generator=data)
        y = torch.randint(0, 2, (2,), generator=data)
        optimizer.zero_grad()
        nn.functional.cross_entropy(ddp(x), y).backward()
        optimizer.step()
        scheduler.step()
    torch.save(
        {"records": records, "replica": layer.current_replica(), "step": layer.step},
        out_dir / f"rank{rank}.pt",
    )
    del ddp, optimizer  # DDP's reducer must go before its process group, or teardown can hang
    dist.barrier()
    dist.destroy_process_group()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow  # two processes importing torch: over 10 s here
def test_each_rank_draws_the_core_mask_of_its_replica(tmp_path):
    port = free_port()
    logs = [tmp_path / f"rank{rank}.log" for rank in range(WORLD)]
    procs = []
    for rank, log in enumerate(logs):
        with log.open("w") as out:  # files, not pipes: a full pipe would stall a rank
            procs.append(
                subprocess.Popen(
                    [sys.executable, __file__, str(rank), str(port), str(tmp_path)],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
    deadline = time.monotonic() + TIMEOUT
    try:
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
    output = "\n".join(f"--- {log.name}\n{log.read_text()}" for log in logs)
    assert all(proc.returncode == 0 for proc in procs), output

    masks = []
    for rank in range(WORLD):
        result = torch.load(tmp_path / f"rank{rank}.pt")
        assert result["replica"] == rank and result["step"] == STEPS
        assert len(result["records"]) == STEPS
        for step, record in enumerate(result["records"]):
            x = record["input"].numpy()
            expected = db.dropblock(x, DROP, BLOCK, seed=SEED, step=step, replica=rank)
            assert np.array_equal(record["output"].numpy(), expected)
            masks.append(db.sample_mask(x.shape, DROP, BLOCK, seed=SEED, step=step, replica=rank))
    for step in range(STEPS):  # same seed and step, different ranks: different masks
        assert not np.array_equal(masks[step], masks[STEPS + step])


if __name__ == "__main__":
    worker(int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]))
