"""Fold-in: fit one user's embedding on their ratings with the rest of the model frozen.

Between full retrains this gives a user who just rated a movie an up-to-date vector in
milliseconds, and gives a user the model has never seen a vector at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from recommender.model import SimpleRec

__all__ = ["FoldInConfig", "UserVector", "fold_in_user"]


@dataclass(frozen=True)
class FoldInConfig:
    """Adam steps and learning rate of a fold-in, and the L2 weight per rating."""

    steps: int = 40
    learning_rate: float = 0.05
    l2: float = 0.0125

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError(f"fold-in steps must be at least 1, got {self.steps}")
        if not self.learning_rate > 0:
            raise ValueError(f"fold-in learning_rate must be positive, got {self.learning_rate}")
        if not self.l2 >= 0:
            raise ValueError(f"fold-in l2 must be 0 or more, got {self.l2}")


@dataclass(frozen=True)
class UserVector:
    """A user's embedding and bias (``None`` for the single-layer form, which has none)."""

    embedding: torch.Tensor
    bias: torch.Tensor | None


def initial_vector(model: SimpleRec, user_row: int | None) -> UserVector:
    """Start from the user's own row, or from the mean user for a user the model lacks."""
    with torch.no_grad():
        if user_row is not None:
            embedding, bias = model.user_vectors(torch.tensor(user_row))
        else:
            embedding = model.user_embedding.weight.mean(0)
            bias = None if model.user_bias is None else model.user_bias.weight.mean()
    return UserVector(embedding.clone(), None if bias is None else bias.clone())


def fold_in_user(
    model: SimpleRec,
    start: UserVector,
    movie_rows: torch.Tensor,
    targets: torch.Tensor,
    config: FoldInConfig = FoldInConfig(),
) -> UserVector:
    """Fit a user vector to ``targets`` (scaled ratings) of ``movie_rows``; model unchanged.

    The loss is the training loss: BCE per rating plus ``l2`` times the squared norm of the
    user's embedding and bias per rating. Gradients go to the user vector only.
    """
    embedding = start.embedding.clone().requires_grad_(True)
    bias = None if start.bias is None else start.bias.clone().requires_grad_(True)
    variables = [embedding] if bias is None else [embedding, bias]
    optimizer = torch.optim.Adam(variables, lr=config.learning_rate)
    loss_function = nn.BCELoss(reduction="sum")
    count = len(targets)
    for _ in range(config.steps):
        predictions = model.predict(embedding, bias, movie_rows)
        loss = loss_function(predictions, targets)
        loss = loss + config.l2 * count * sum(value.square().sum() for value in variables)
        gradients = torch.autograd.grad(loss / count, variables)
        for variable, gradient in zip(variables, gradients, strict=True):
            variable.grad = gradient
        optimizer.step()
    return UserVector(embedding.detach(), None if bias is None else bias.detach())
