"""SimpleRec: user and movie embeddings, concatenated, through Linear layers to a sigmoid.

With a hidden layer, SimpleRec also adds a user bias, a movie bias and the dot product of
the two embeddings to the output logit, as in neural matrix factorization: the dot product
carries most of the accuracy on real ratings, and the hidden layer learns what it misses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["ModelConfig", "SimpleRec"]


@dataclass(frozen=True)
class ModelConfig:
    """Sizes of SimpleRec.

    ``hidden_dim=0`` gives the single-layer form: concatenation, one ``nn.Linear`` and a
    sigmoid, with no biases and no dot-product term. That form computes
    sigmoid(a(user) + b(movie)), so it ranks movies the same for every user. A hidden layer
    with a ReLU, together with the dot-product term, lets user and movie interact.
    """

    embedding_dim: int = 128
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

    def user_vectors(self, user_rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Return the embeddings and biases of ``user_rows`` (``None`` without biases)."""
        biases = None if self.user_bias is None else self.user_bias(user_rows).squeeze(-1)
        return self.user_embedding(user_rows), biases

    def predict(
        self,
        user_vectors: torch.Tensor,
        user_biases: torch.Tensor | None,
        movie_rows: torch.Tensor,
    ) -> torch.Tensor:
        """Score movies for given user vectors; ``forward`` looks those up by row."""
        movie_vectors = self.movie_embedding(movie_rows)
        user_vectors = user_vectors.expand_as(movie_vectors)
        logit = self.head(torch.cat([user_vectors, movie_vectors], dim=-1)).squeeze(-1)
        if self.movie_bias is not None:
            logit = logit + (user_vectors * movie_vectors).sum(-1)
            logit = logit + self.movie_bias(movie_rows).squeeze(-1) + self.global_bias
            if user_biases is not None:
                logit = logit + user_biases
        return torch.sigmoid(logit)

    def forward(self, user_rows: torch.Tensor, movie_rows: torch.Tensor) -> torch.Tensor:
        user_vectors, user_biases = self.user_vectors(user_rows)
        return self.predict(user_vectors, user_biases, movie_rows)

    def penalty(self, user_rows: torch.Tensor, movie_rows: torch.Tensor) -> torch.Tensor:
        """Sum of squares of the embedding and bias rows a batch uses, for L2 regularization."""
        total = self.user_embedding(user_rows).square().sum()
        total = total + self.movie_embedding(movie_rows).square().sum()
        if self.user_bias is not None:
            total = total + self.user_bias(user_rows).square().sum()
            total = total + self.movie_bias(movie_rows).square().sum()
        return total
