"""Train a small ResNet with DropBlock on a synthetic data set (PyTorch).

Each 16x16 image holds one short line in noise; its class is the line's direction
(horizontal, vertical, diagonal, anti-diagonal). DropBlock sits where the paper puts
it in a ResNet (recipes page): in the last two groups, after the convolutions and on
the shortcut, the earlier of the two at a quarter of the drop rate. The drop rate
ramps linearly from 0 (``LinearScheduler``, stepped once per optimizer step).

Run: ``python docs/examples/train_torch.py`` (a few seconds on two CPU cores).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from dropblock_torch import DropBlock2d, LinearScheduler

SIDE, CLASSES = 16, 4
DROP_PROB, BLOCK = 0.1, 3  # the paper: 0.1 with block 7 on 14x14 and 7x7 maps
EPOCHS, BATCH = 3, 32


def make_data(
    n: int, rng: np.random.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` noisy images (N, 1, 16, 16) with a 6-pixel line; label = direction."""
    labels = rng.integers(0, CLASSES, n)
    images = rng.normal(0.0, 0.5, (n, SIDE, SIDE)).astype(np.float32)
    dy, dx = np.array([(0, 1), (1, 0), (1, 1), (1, -1)])[labels].T
    y0, x0 = rng.integers(3, SIDE - 3, (2, n))
    k = np.arange(-3, 3)
    rows, cols = y0[:, None] + k * dy[:, None], x0[:, None] + k * dx[:, None]
    images[np.arange(n)[:, None], rows, cols] += 1.5
    return torch.from_numpy(images[:, None]), torch.from_numpy(labels)


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
    x_train, y_train = make_data(512, rng)
    x_test, y_test = make_data(256, rng)
    model = small_resnet()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    steps_per_epoch = len(x_train) // BATCH
    scheduler = LinearScheduler(model, total_steps=EPOCHS * steps_per_epoch)

    start, _ = evaluate(model, x_train, y_train)
    print(f"train loss at start: {start:.4f}")
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(x_train))
        for i in range(steps_per_epoch):
            batch = order[i * BATCH : (i + 1) * BATCH]
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
    print(f"train loss at end: {end:.4f}")
    print(f"held-out accuracy: {accuracy:.4f}")
    assert end < start, f"the loss did not fall: {start:.4f} -> {end:.4f}"


if __name__ == "__main__":
    main()
