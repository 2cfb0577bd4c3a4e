"""Training SimpleRec: Adam, BCELoss on scaled ratings, L2, early stopping, warm start.

Training reads the rated cells as (user row, movie row, rating) tensors and fetches each
shuffled batch with one indexing call, so no Python code runs per sample. A part of the
ratings (``validation_fraction``, chosen by a hash of the IDs) is held out; training stops
when the loss on it has not improved for ``patience`` epochs and returns the model of the
best epoch.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import nn

from recommender.data import IndexedRatings, RatingScale
from recommender.dataset import RecDataset, batch_loader
from recommender.model import ModelConfig, SimpleRec

__all__ = [
    "MIN_VALIDATION_RATINGS",
    "TrainConfig",
    "TrainResult",
    "TrainingCancelled",
    "TrainingError",
    "fit_model",
    "held_out_mask",
    "train",
]

# Below this many held-out ratings the validation loss is too noisy to stop on, so
# training runs all ``epochs`` on every rating instead.
MIN_VALIDATION_RATINGS = 50

Batches = Iterable[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]
LoaderFactory = Callable[[RecDataset, torch.Generator], Batches]


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings. ``seed`` fixes initialisation, the validation part and batch order.

    ``l2`` weighs the sum of squares of the embedding and bias rows each sample uses.
    ``head_weight_decay`` is Adam's weight decay on the weights of the Linear layers after
    the concatenation, and ``weight_decay`` Adam's weight decay on every other parameter.
    """

    epochs: int = 60
    learning_rate: float = 0.02
    batch_size: int = 8192
    l2: float = 0.0125
    head_weight_decay: float = 1.0
    weight_decay: float = 0.0
    validation_fraction: float = 0.1
    patience: int = 2
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
        if not self.head_weight_decay >= 0:
            raise ValueError(f"head_weight_decay must be 0 or more, got {self.head_weight_decay}")
        if not self.l2 >= 0:
            raise ValueError(f"l2 must be 0 or more, got {self.l2}")
        if not 0 <= self.validation_fraction < 1:
            raise ValueError(
                f"validation_fraction must be in [0, 1), got {self.validation_fraction}"
            )
        if self.patience < 1:
            raise ValueError(f"patience must be at least 1, got {self.patience}")


class TrainingError(RuntimeError):
    """Training could not produce a usable model, for example because the loss diverged."""


class TrainingCancelled(Exception):
    """Training stopped early because its ``should_stop`` callback returned true."""


@dataclass
class TrainResult:
    """A trained model with the ID order of its embedding rows and its loss history.

    ``validation_losses`` is empty when training ran without a validation part;
    ``best_epoch`` is the epoch whose model was kept (0: the warm-started model itself).
    """

    model: SimpleRec
    user_ids: tuple[int, ...]
    movie_ids: tuple[int, ...]
    epoch_losses: list[float] = field(default_factory=list)
    validation_losses: list[float] = field(default_factory=list)
    best_epoch: int = 0
    seconds: float = 0.0

    @property
    def final_loss(self) -> float:
        return self.epoch_losses[-1]


def _check_ratings(ratings: IndexedRatings) -> None:
    if len(ratings) == 0:
        raise TrainingError("no ratings to train on")
    if not torch.isfinite(ratings.ratings).all():
        raise TrainingError("the ratings contain NaN or infinite values")


def split_validation(
    dataset: RecDataset,
    fraction: float,
    generator: torch.Generator,
    held_out: torch.Tensor | None = None,
) -> tuple[RecDataset, RecDataset | None]:
    """Hold out ``fraction`` of the samples, or none if that part would be tiny.

    ``held_out`` marks the samples to hold out; without it a random ``fraction`` is.
    """
    if held_out is None:
        count = int(len(dataset) * fraction)
        order = torch.randperm(len(dataset), generator=generator)
        held_out = torch.zeros(len(dataset), dtype=torch.bool)
        held_out[order[:count]] = True
    if int(held_out.sum()) < MIN_VALIDATION_RATINGS:
        return dataset, None
    return dataset.subset(torch.nonzero(~held_out).squeeze(1)), dataset.subset(
        torch.nonzero(held_out).squeeze(1)
    )


def held_out_mask(ratings: IndexedRatings, fraction: float, seed: int) -> torch.Tensor:
    """Mark about ``fraction`` of the rated cells for validation, by a hash of their IDs.

    The choice depends only on (user ID, movie ID, seed), so a retrain holds out the same
    ratings as the training before it, and a warm-started model is measured on ratings
    it did not train on. NOTE: the fold-in after a warm start fits users on all their
    ratings, held-out ones included, so for those users the measure is still optimistic.
    """
    users = np.asarray(ratings.user_ids, dtype=np.int64).view(np.uint64)
    movies = np.asarray(ratings.movie_ids, dtype=np.int64).view(np.uint64)
    users = users[ratings.user_rows.numpy()]
    movies = movies[ratings.movie_rows.numpy()]
    with np.errstate(over="ignore"):
        # A SplitMix64-style mix: well spread for IDs that differ in a few low bits.
        key = users * np.uint64(0x9E3779B97F4A7C15)
        key ^= (movies + np.uint64(seed)) * np.uint64(0xC2B2AE3D27D4EB4F)
        key ^= key >> np.uint64(31)
        key *= np.uint64(0xBF58476D1CE4E5B9)
        key ^= key >> np.uint64(29)
    return torch.as_tensor((key >> np.uint64(11)).astype(np.float64) / 2.0**53 < fraction)


def _copy_known_rows(
    target: nn.Embedding, source: nn.Embedding, ids: tuple[int, ...], known: tuple[int, ...]
) -> None:
    rows = pd.Index(known).get_indexer(ids)
    kept = torch.as_tensor(rows >= 0)
    target.weight[kept] = source.weight[torch.as_tensor(rows[rows >= 0])]


def warm_start(model: SimpleRec, previous: TrainResult, ratings: IndexedRatings) -> None:
    """Copy the previous model's parameters into ``model`` for the users and movies it knew.

    New users and movies keep their fresh initialisation; the layers are copied whole.
    """
    old = previous.model
    with torch.no_grad():
        for name in ("user_embedding", "user_bias"):
            if getattr(model, name) is not None:
                _copy_known_rows(
                    getattr(model, name), getattr(old, name), ratings.user_ids, previous.user_ids
                )
        for name in ("movie_embedding", "movie_bias"):
            if getattr(model, name) is not None:
                _copy_known_rows(
                    getattr(model, name), getattr(old, name), ratings.movie_ids, previous.movie_ids
                )
        model.head.load_state_dict(old.head.state_dict())
        if model.global_bias is not None:
            model.global_bias.copy_(old.global_bias)


def _mean_loss(model: nn.Module, dataset: RecDataset, batch_size: int = 65536) -> float:
    loss_function = nn.BCELoss(reduction="sum")
    total = 0.0
    with torch.inference_mode():
        for start in range(0, len(dataset), batch_size):
            user_rows, movie_rows, targets = dataset[slice(start, start + batch_size)]
            total += loss_function(model(user_rows, movie_rows), targets).item()
    return total / len(dataset)


def _train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    batches: Batches,
    l2: float,
    epoch: int,
    should_stop: Callable[[], bool] | None,
) -> tuple[float, int]:
    """Run one pass over ``batches``; return the summed BCE loss and the sample count."""
    loss_function = nn.BCELoss(reduction="sum")
    total = 0.0
    count = 0
    for user_rows, movie_rows, targets in batches:
        if should_stop is not None and should_stop():
            raise TrainingCancelled(f"training stopped at epoch {epoch}")
        optimizer.zero_grad()
        # The gradient of l2 times the rows' sum of squares, averaged over the batch.
        predictions = model(user_rows, movie_rows, decay=2 * l2 / len(targets))
        if not torch.isfinite(predictions).all():
            raise TrainingError(f"the model output became non-finite at epoch {epoch}")
        data_loss = loss_function(predictions, targets)
        (data_loss / len(targets)).backward()
        optimizer.step()
        total += data_loss.item()
        count += len(targets)
    return total, count


def _optimizer(model: nn.Module, train_config: TrainConfig) -> torch.optim.Adam:
    """Build Adam with ``head_weight_decay`` on the head's weights and ``weight_decay`` else."""
    head, other = [], []
    for name, parameter in model.named_parameters():
        (head if name.startswith("head.") and name.endswith("weight") else other).append(parameter)
    groups = [{"params": other, "weight_decay": train_config.weight_decay}]
    if head:
        groups.append({"params": head, "weight_decay": train_config.head_weight_decay})
    # The fused kernel updates each parameter in one pass. On the CPU it takes about a
    # fifth off each step, most of which is the update of the full embedding tables.
    return torch.optim.Adam(groups, lr=train_config.learning_rate, fused=True)


def fit_model(
    model: nn.Module,
    dataset: RecDataset,
    train_config: TrainConfig,
    generator: torch.Generator,
    *,
    on_epoch: Callable[[int, float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    loader_factory: LoaderFactory | None = None,
    held_out: torch.Tensor | None = None,
) -> tuple[list[float], list[float], int]:
    """Train ``model`` in place with early stopping; return (losses, validation losses, best).

    ``held_out`` marks the validation samples (see ``held_out_mask``); by default a random
    ``validation_fraction`` of them.

    ``model`` needs ``forward(user_rows, movie_rows, decay)`` with outputs in [0, 1], where
    ``decay`` adds that multiple of each embedding and bias row it looks up to its gradient.
    It ends holding the parameters of the best epoch.
    """
    training, validation = split_validation(
        dataset, train_config.validation_fraction, generator, held_out
    )
    if loader_factory is None:
        batches = batch_loader(training, train_config.batch_size, generator)
    else:
        batches = loader_factory(training, generator)
    optimizer = _optimizer(model, train_config)
    losses: list[float] = []
    validation_losses: list[float] = []
    # After a warm start with few new ratings the starting model often has the best
    # validation loss, and the retrain keeps it (best epoch 0).
    best_loss = math.inf if validation is None else _mean_loss(model, validation)
    best_epoch, best_state = 0, copy.deepcopy(model.state_dict())

    for epoch in range(1, train_config.epochs + 1):
        model.train()
        total, count = _train_epoch(model, optimizer, batches, train_config.l2, epoch, should_stop)
        model.eval()
        epoch_loss = total / count
        if not math.isfinite(epoch_loss):
            raise TrainingError(f"loss became {epoch_loss} at epoch {epoch}")
        losses.append(epoch_loss)
        if on_epoch is not None:
            on_epoch(epoch, epoch_loss)
        if validation is None:
            best_epoch = epoch
            continue
        validation_losses.append(_mean_loss(model, validation))
        if validation_losses[-1] < best_loss:
            best_loss, best_epoch = validation_losses[-1], epoch
            best_state = copy.deepcopy(model.state_dict())
        elif epoch - best_epoch >= train_config.patience:
            break
    if validation is not None:
        model.load_state_dict(best_state)
    return losses, validation_losses, best_epoch


def train(
    ratings: IndexedRatings,
    scale: RatingScale,
    model_config: ModelConfig = ModelConfig(),
    train_config: TrainConfig = TrainConfig(),
    *,
    previous: TrainResult | None = None,
    on_epoch: Callable[[int, float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    loader_factory: LoaderFactory | None = None,
) -> TrainResult:
    """Train SimpleRec on the rated cells and return it with its epoch losses.

    With ``previous`` (a model of the same ``model_config``), users and movies it knew start
    from its parameters. ``on_epoch(epoch, loss)`` is called after each epoch (epochs count
    from 1) with the mean BCE loss over that epoch's training samples. Raises
    ``TrainingError`` on an empty data set, non-finite ratings or a non-finite model output,
    and ``TrainingCancelled`` when ``should_stop()`` turns true between batches.
    """
    _check_ratings(ratings)
    started = time.perf_counter()
    generator = torch.Generator().manual_seed(train_config.seed)
    model = SimpleRec(len(ratings.user_ids), len(ratings.movie_ids), model_config)
    model.reset_parameters(generator)
    if previous is not None and previous.model.config == model_config:
        warm_start(model, previous, ratings)

    losses, validation_losses, best_epoch = fit_model(
        model,
        RecDataset(ratings, scale),
        train_config,
        generator,
        on_epoch=on_epoch,
        should_stop=should_stop,
        loader_factory=loader_factory,
        held_out=held_out_mask(ratings, train_config.validation_fraction, train_config.seed),
    )
    return TrainResult(
        model=model,
        user_ids=ratings.user_ids,
        movie_ids=ratings.movie_ids,
        epoch_losses=losses,
        validation_losses=validation_losses,
        best_epoch=best_epoch,
        seconds=time.perf_counter() - started,
    )
