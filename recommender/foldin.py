"""Fold-in: fit one user's embedding on their ratings with the rest of the model frozen.

Between full retrains this gives a user who just rated a movie an up-to-date vector in
milliseconds, and gives a user the model has never seen a vector at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from recommender.model import ModelConfig, SimpleRec

__all__ = [
    "FoldInConfig",
    "UserVector",
    "fold_in_user",
    "fold_in_users",
    "warm_up",
    "write_user_vectors",
]


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
    owners = torch.zeros(len(targets), dtype=torch.long)
    return fold_in_users(model, [start], owners, movie_rows, targets, config)[0]


def fold_in_users(
    model: SimpleRec,
    starts: list[UserVector],
    owners: torch.Tensor,
    movie_rows: torch.Tensor,
    targets: torch.Tensor,
    config: FoldInConfig = FoldInConfig(),
) -> list[UserVector]:
    """Fold in several users at once: rating ``i`` of ``movie_rows`` belongs to ``owners[i]``.

    Each user's loss is divided by their rating count and Adam works element by element,
    so every user gets the vector that ``fold_in_user`` alone would give them; one batch
    of a few hundred users costs about as much as a single user.
    """
    embeddings = torch.stack([start.embedding for start in starts]).requires_grad_(True)
    biases = None
    if starts[0].bias is not None:
        biases = torch.stack([start.bias for start in starts]).requires_grad_(True)
    variables = [embeddings] if biases is None else [embeddings, biases]
    optimizer = torch.optim.Adam(variables, lr=config.learning_rate, fused=True)
    loss_function = nn.BCELoss(reduction="none")
    counts = torch.bincount(owners, minlength=len(starts)).clamp(min=1)
    weights = 1.0 / counts[owners].to(targets.dtype)
    for _ in range(config.steps):
        user_biases = None if biases is None else biases[owners]
        predictions = model.predict(embeddings[owners], user_biases, movie_rows)
        loss = (loss_function(predictions, targets) * weights).sum()
        loss = loss + config.l2 * sum(value.square().sum() for value in variables)
        gradients = torch.autograd.grad(loss, variables)
        for variable, gradient in zip(variables, gradients, strict=True):
            variable.grad = gradient
        optimizer.step()
    embeddings = embeddings.detach()
    return [
        UserVector(
            embeddings[index].clone(), None if biases is None else biases[index].detach().clone()
        )
        for index in range(len(starts))
    ]


def write_user_vectors(model: SimpleRec, vectors: dict[int, UserVector]) -> None:
    """Store fitted vectors in the model's user rows (row number to vector)."""
    if not vectors:
        return
    rows = torch.tensor(list(vectors))
    with torch.no_grad():
        model.user_embedding.weight[rows] = torch.stack([v.embedding for v in vectors.values()])
        if model.user_bias is not None:
            biases = torch.stack([v.bias for v in vectors.values()])
            model.user_bias.weight[rows] = biases.reshape(-1, 1)


def warm_up() -> None:
    """Run one tiny fold-in now, so that the first real one does not pay torch's set-up.

    The first ``torch.optim.Adam`` of a process imports torch's compiler support: about a
    second of CPU time holding the GIL, which in the bot would stall every chat at the
    first rating after start-up.
    """
    model = SimpleRec(1, 1, ModelConfig(embedding_dim=1, hidden_dim=1))
    start = initial_vector(model, 0)
    fold_in_user(model, start, torch.tensor([0]), torch.tensor([1.0]), FoldInConfig(steps=1))
