"""Training SimpleRec by hand: Adam, BCELoss on scaled ratings, one loss per epoch."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from recommender.data import IndexedRatings, RatingScale
from recommender.dataset import RecDataset, batch_loader
from recommender.model import ModelConfig, SimpleRec

__all__ = [
    "TrainConfig",
    "TrainResult",
    "TrainingCancelled",
    "TrainingError",
    "train",
]


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings. ``seed`` fixes initialisation and batch order."""

    epochs: int = 60
    learning_rate: float = 0.02
    batch_size: int = 64
    weight_decay: float = 0.001
    seed: int = 42

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be positive, got {self.learning_rate}")
        if not self.weight_decay >= 0:
            raise ValueError(f"weight_decay must be 0 or more, got {self.weight_decay}")


class TrainingError(RuntimeError):
    """Training could not produce a usable model, for example because the loss diverged."""


class TrainingCancelled(Exception):
    """Training stopped early because its ``should_stop`` callback returned true."""


@dataclass
class TrainResult:
    """A trained model with the ID order of its embedding rows and its loss history."""

    model: SimpleRec
    user_ids: tuple[int, ...]
    movie_ids: tuple[int, ...]
    epoch_losses: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def final_loss(self) -> float:
        return self.epoch_losses[-1]


def train(
    ratings: IndexedRatings,
    scale: RatingScale,
    model_config: ModelConfig = ModelConfig(),
    train_config: TrainConfig = TrainConfig(),
    *,
    on_epoch: Callable[[int, float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> TrainResult:
    """Train a fresh SimpleRec on the rated cells and return it with its epoch losses.

    ``on_epoch(epoch, loss)`` is called after each epoch (epochs count from 1) with the mean
    BCE loss over that epoch's samples. Raises ``TrainingError`` on an empty data set,
    non-finite ratings or a non-finite model output, and ``TrainingCancelled`` when
    ``should_stop()`` turns true between batches.
    """
    if len(ratings) == 0:
        raise TrainingError("no ratings to train on")
    if not torch.isfinite(ratings.ratings).all():
        raise TrainingError("the ratings contain NaN or infinite values")
    started = time.perf_counter()
    generator = torch.Generator().manual_seed(train_config.seed)
    model = SimpleRec(len(ratings.user_ids), len(ratings.movie_ids), model_config)
    model.reset_parameters(generator)
    optimizer = torch.optim.Adam(
        model.parameters(),
        lr=train_config.learning_rate,
        weight_decay=train_config.weight_decay,
    )
    loss_function = nn.BCELoss(reduction="sum")
    dataset = RecDataset(ratings, scale)
    loader = batch_loader(dataset, train_config.batch_size, generator)

    result = TrainResult(model=model, user_ids=ratings.user_ids, movie_ids=ratings.movie_ids)
    model.train()
    for epoch in range(1, train_config.epochs + 1):
        total = 0.0
        for user_rows, movie_rows, targets in loader:
            if should_stop is not None and should_stop():
                raise TrainingCancelled(f"training stopped at epoch {epoch}")
            optimizer.zero_grad()
            predictions = model(user_rows, movie_rows)
            if not torch.isfinite(predictions).all():
                raise TrainingError(f"the model output became non-finite at epoch {epoch}")
            loss = loss_function(predictions, targets)
            loss.backward()
            optimizer.step()
            total += loss.item()
        epoch_loss = total / len(dataset)
        if not math.isfinite(epoch_loss):
            raise TrainingError(f"loss became {epoch_loss} at epoch {epoch}")
        result.epoch_losses.append(epoch_loss)
        if on_epoch is not None:
            on_epoch(epoch, epoch_loss)
    model.eval()
    result.seconds = time.perf_counter() - started
    return result
