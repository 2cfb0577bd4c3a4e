"""SimpleRec: user and movie embeddings, concatenated, through Linear layers to a sigmoid."""

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
    sigmoid. That form computes sigmoid(a(user) + b(movie)), so it ranks movies the same for
    every user; a hidden layer with a ReLU lets user and movie interact.
    """

    embedding_dim: int = 8
    hidden_dim: int = 16

    def __post_init__(self) -> None:
        if self.embedding_dim < 1:
            raise ValueError(f"embedding_dim must be at least 1, got {self.embedding_dim}")
        if self.hidden_dim < 0:
            raise ValueError(f"hidden_dim must be 0 or more, got {self.hidden_dim}")


class SimpleRec(nn.Module):
    """Predict the probability that a user likes a movie, in [0, 1]."""

    def __init__(self, num_users: int, num_movies: int, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.user_embedding = nn.Embedding(num_users, config.embedding_dim)
        self.movie_embedding = nn.Embedding(num_movies, config.embedding_dim)
        width = 2 * config.embedding_dim
        if config.hidden_dim:
            self.head = nn.Sequential(
                nn.Linear(width, config.hidden_dim),
                nn.ReLU(),
                nn.Linear(config.hidden_dim, 1),
            )
        else:
            self.head = nn.Sequential(nn.Linear(width, 1))

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

    def forward(self, user_rows: torch.Tensor, movie_rows: torch.Tensor) -> torch.Tensor:
        pair = torch.cat(
            [self.user_embedding(user_rows), self.movie_embedding(movie_rows)], dim=-1
        )
        return torch.sigmoid(self.head(pair).squeeze(-1))
