"""Train a small ResNet with DropBlock on a synthetic data set (PyTorch).

The data set and DropBlock's placement: ``lines_data.py``. The drop rate
ramps linearly from 0 (``LinearScheduler``, stepped once per optimizer step).

Run: ``python docs/examples/train_torch.py`` (a few seconds on two CPU cores).
"""

from __future__ import annotations

import lines_data
import numpy as np
import torch
from lines_data import BLOCK, CLASSES, DROP_PROB, EPOCHS, TOTAL_STEPS
from torch import nn

from dropblock_torch import DropBlock2d, LinearScheduler


def conv_bn(c_in: int, c_out: int, stride: int = 1, k: int = 3) -> nn.Sequential:
    conv = nn.Conv2d(c_in, c_out, k, stride=stride, padding=k // 2, bias=False)
    return nn.Sequential(conv, nn.BatchNorm2d(c_out))


class Block(nn.Module):
    """Basic residual block; ``drop_prob > 0`` adds DropBlock to both paths."""

    def __init__(
        self, c_in: int, c_out: int, stride: int, drop_prob: float
    ) -> None:
        super().__init__()

        def drop() -> nn.Module:
            return DropBlock2d(drop_prob, BLOCK) if drop_prob else nn.Identity()

        self.branch = nn.Sequential(
            conv_bn(c_in, c_out, stride),
            nn.ReLU(),
            drop(),
            conv_bn(c_out, c_out),
            drop(),
        )
        self.shortcut = nn.Sequential(conv_bn(c_in, c_out, stride, k=1), drop())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.branch(x) + self.shortcut(x))


def small_resnet() -> nn.Sequential:
    return nn.Sequential(
        conv_bn(1, 16),
        nn.ReLU(),
        Block(16, 16, 1, 0.0),  # 16x16: no DropBlock in the early groups
        Block(16, 32, 2, DROP_PROB / 4),  # 8x8 ("group 3"): a quarter of the rate
        Block(32, 64, 2, DROP_PROB),  # 4x4 ("group 4"): the full rate
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(64, CLASSES),
    )


@torch.no_grad()
def evaluate(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor
) -> tuple[float, float]:
    """Loss and accuracy in eval mode (DropBlock off)."""
    model.eval()
    logits = model(x)
    loss = nn.functional.cross_entropy(logits, y).item()
    return loss, (logits.argmax(1) == y).float().mean().item()


def main() -> None:
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x_train, y_train, x_test, y_test = lines_data.data_sets(
        rng, to=torch.from_numpy
    )
    model = small_resnet()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    scheduler = LinearScheduler(model, total_steps=TOTAL_STEPS)

    start, _ = evaluate(model, x_train, y_train)
    print(f"train loss at start: {start:.4f}")
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(x_train))
        for batch in lines_data.batches(order):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(
                model(x_train[batch]), y_train[batch]
            )
            loss.backward()
            optimizer.step()
            scheduler.step()  # once per optimizer step, as an LR scheduler
        rates = scheduler.get_last_drop_prob()
        print(f"epoch {epoch + 1}: drop_prob {rates[0]:.4f} / {rates[-1]:.4f}")

    end, _ = evaluate(model, x_train, y_train)
    _, accuracy = evaluate(model, x_test, y_test)
    lines_data.report(start, end, accuracy)


if __name__ == "__main__":
    main()
