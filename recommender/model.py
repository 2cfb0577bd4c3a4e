"""SimpleRec: user and movie embeddings, concatenated, through Linear layers to a sigmoid.

With a hidden layer, SimpleRec also adds a user bias, a movie bias and the dot product of
the two embeddings to the output logit, as in neural matrix factorization. The dot product
scores how well user and movie match, and the hidden layer can learn what it misses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["ModelConfig", "SimpleRec", "decay_rows"]


class _RowDecay(torch.autograd.Function):
    """Pass rows through unchanged; on the way back add ``coefficient`` times the rows."""

    @staticmethod
    def forward(ctx, rows: torch.Tensor, coefficient: float) -> torch.Tensor:
        ctx.save_for_backward(rows)
        ctx.coefficient = coefficient
        return rows.view_as(rows)

    @staticmethod
    def backward(ctx, gradient: torch.Tensor) -> tuple[torch.Tensor, None]:
        (rows,) = ctx.saved_tensors
        return gradient.add(rows, alpha=ctx.coefficient), None


def decay_rows(rows: torch.Tensor, coefficient: float) -> torch.Tensor:
    """Return ``rows`` with the gradient of ``coefficient / 2 * (rows ** 2).sum()`` added.

    This is L2 regularisation of the looked-up rows without computing the penalty: one
    addition in the backward pass instead of a square, a sum and their backward passes.
    """
    if coefficient == 0 or not rows.requires_grad:
        return rows
    return _RowDecay.apply(rows, coefficient)


@dataclass(frozen=True)
class ModelConfig:
    """Sizes of SimpleRec.

    ``hidden_dim=0`` gives the single-layer form: concatenation, one ``nn.Linear`` and a
    sigmoid, with no biases and no dot-product term. That form computes
    sigmoid(a(user) + b(movie)), so it ranks movies the same for every user. A hidden layer
    with a ReLU, together with the dot-product term, lets user and movie interact.
    """

    embedding_dim: int = 64
    hidden_dim: int = 8

    def __post_init__(self) -> None:
        if self.embedding_dim < 1:
            raise ValueError(f"embedding_dim must be at least 1, got {self.embedding_dim}")
        if self.hidden_dim < 0:
            raise ValueError(f"hidden_dim must be 0 or more, got {self.hidden_dim}")

    @property
    def single_layer(self) -> bool:
        return self.hidden_dim == 0


class SimpleRec(nn.Module):
    """Predict the probability that a user likes a movie, in [0, 1]."""

    def __init__(self, num_users: int, num_movies: int, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.user_embedding = nn.Embedding(num_users, config.embedding_dim)
        self.movie_embedding = nn.Embedding(num_movies, config.embedding_dim)
        width = 2 * config.embedding_dim
        if config.single_layer:
            self.head = nn.Sequential(nn.Linear(width, 1))
            self.user_bias = None
            self.movie_bias = None
            self.global_bias = None
        else:
            self.head = nn.Sequential(
                nn.Linear(width, config.hidden_dim),
                nn.ReLU(),
                nn.Linear(config.hidden_dim, 1),
            )
            self.user_bias = nn.Embedding(num_users, 1)
            self.movie_bias = nn.Embedding(num_movies, 1)
            self.global_bias = nn.Parameter(torch.zeros(()))

    def reset_parameters(self, generator: torch.Generator) -> None:
        """Initialise every parameter from ``generator``, so a seed fixes the whole model."""
        for embedding in (self.user_embedding, self.movie_embedding):
            nn.init.normal_(embedding.weight, std=0.1, generator=generator)
        for layer in self.head:
            if isinstance(layer, nn.Linear):
                # The same bounds as nn.Linear's own initialisation.
                bound = 1.0 / math.sqrt(layer.in_features)
                nn.init.uniform_(layer.weight, -bound, bound, generator=generator)
                nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
        if self.user_bias is not None:
            nn.init.zeros_(self.user_bias.weight)
            nn.init.zeros_(self.movie_bias.weight)
            nn.init.zeros_(self.global_bias)

    @staticmethod
    def _lookup(embedding: nn.Embedding, rows: torch.Tensor) -> torch.Tensor:
        # index_select has a cheaper backward pass on the CPU than nn.Embedding's own.
        found = embedding.weight.index_select(0, rows.reshape(-1))
        return found.reshape(*rows.shape, embedding.embedding_dim)

    def user_vectors(
        self, user_rows: torch.Tensor, decay: float = 0.0
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Return the embeddings and biases of ``user_rows`` (``None`` without biases)."""
        vectors = decay_rows(self._lookup(self.user_embedding, user_rows), decay)
        if self.user_bias is None:
            return vectors, None
        return vectors, decay_rows(self._lookup(self.user_bias, user_rows), decay).squeeze(-1)

    def movie_vectors(
        self, movie_rows: torch.Tensor, decay: float = 0.0
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Return the embeddings and biases of ``movie_rows`` (``None`` without biases)."""
        vectors = decay_rows(self._lookup(self.movie_embedding, movie_rows), decay)
        if self.movie_bias is None:
            return vectors, None
        return vectors, decay_rows(self._lookup(self.movie_bias, movie_rows), decay).squeeze(-1)

    def _combine(self, user_vectors, user_biases, movie_vectors, movie_biases) -> torch.Tensor:
        user_vectors = user_vectors.expand_as(movie_vectors)
        logit = self.head(torch.cat([user_vectors, movie_vectors], dim=-1)).squeeze(-1)
        if movie_biases is not None:
            logit = logit + (user_vectors * movie_vectors).sum(-1) + movie_biases
            logit = logit + self.global_bias
            if user_biases is not None:
                logit = logit + user_biases
        return torch.sigmoid(logit)

    def predict(
        self,
        user_vectors: torch.Tensor,
        user_biases: torch.Tensor | None,
        movie_rows: torch.Tensor,
    ) -> torch.Tensor:
        """Score movies for given user vectors; ``forward`` looks those up by row."""
        return self._combine(user_vectors, user_biases, *self.movie_vectors(movie_rows))

    def predict_for_movies(
        self,
        user_rows: torch.Tensor,
        movie_vectors: torch.Tensor,
        movie_biases: torch.Tensor | None,
    ) -> torch.Tensor:
        """Score given movie vectors for the users at ``user_rows``."""
        return self._combine(*self.user_vectors(user_rows), movie_vectors, movie_biases)

    def forward(
        self, user_rows: torch.Tensor, movie_rows: torch.Tensor, decay: float = 0.0
    ) -> torch.Tensor:
        """Score (user row, movie row) pairs.

        ``decay`` adds ``decay`` times each looked-up embedding and bias row to its gradient,
        the gradient of ``decay / 2`` times their sum of squares (L2 on the rows in use).
        """
        user_vectors, user_biases = self.user_vectors(user_rows, decay)
        movie_vectors, movie_biases = self.movie_vectors(movie_rows, decay)
        return self._combine(user_vectors, user_biases, movie_vectors, movie_biases)
