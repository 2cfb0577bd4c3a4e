"""Baselines that SimpleRec is measured against: global mean, biases, popularity, MF.

Each baseline is fitted on a ratings frame (``user_id``, ``movie_id``, ``rating``) and
offers ``predict(users, movies)`` in stars (``None`` where it predicts no ratings) and
``ranking_scores(user_id, movies)``, where a higher score ranks a movie higher.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import nn

from recommender.data import IndexedRatings, RatingScale
from recommender.dataset import RecDataset
from recommender.model import decay_rows
from recommender.training import TrainConfig, fit_model, held_out_mask

__all__ = ["BiasBaseline", "GlobalMean", "MatrixFactorization", "Popularity"]


class GlobalMean:
    """Predict the mean training rating for every pair."""

    name = "global mean"

    def __init__(self, ratings: pd.DataFrame) -> None:
        self.mean = float(ratings["rating"].mean())

    def predict(self, users: np.ndarray, movies: np.ndarray) -> np.ndarray:
        return np.full(len(users), self.mean)

    def ranking_scores(self, user_id: int, movies: np.ndarray) -> np.ndarray:
        return np.zeros(len(movies))


class BiasBaseline:
    """Mean plus regularized user and movie biases, fitted by alternating least squares.

    Each movie bias is the sum of its residuals divided by (count + ``movie_reg``), then
    each user bias likewise with ``user_reg``; a few rounds converge.
    """

    name = "user and movie biases"

    def __init__(
        self,
        ratings: pd.DataFrame,
        *,
        user_reg: float = 15.0,
        movie_reg: float = 10.0,
        rounds: int = 10,
    ) -> None:
        self.mean = float(ratings["rating"].mean())
        residual = ratings["rating"].to_numpy() - self.mean
        users, movies = ratings["user_id"].to_numpy(), ratings["movie_id"].to_numpy()
        user_bias = pd.Series(0.0, index=pd.unique(users))
        movie_bias = pd.Series(0.0, index=pd.unique(movies))
        for _ in range(rounds):
            movie_part = residual - user_bias.reindex(users).to_numpy()
            grouped = pd.Series(movie_part).groupby(movies)
            movie_bias = grouped.sum() / (grouped.size() + movie_reg)
            user_part = residual - movie_bias.reindex(movies).to_numpy()
            grouped = pd.Series(user_part).groupby(users)
            user_bias = grouped.sum() / (grouped.size() + user_reg)
        self.user_bias = user_bias
        self.movie_bias = movie_bias

    def predict(self, users: np.ndarray, movies: np.ndarray) -> np.ndarray:
        user_part = self.user_bias.reindex(users).fillna(0.0).to_numpy()
        movie_part = self.movie_bias.reindex(movies).fillna(0.0).to_numpy()
        return self.mean + user_part + movie_part

    def ranking_scores(self, user_id: int, movies: np.ndarray) -> np.ndarray:
        return self.movie_bias.reindex(movies).fillna(0.0).to_numpy()


class Popularity:
    """Rank movies by how many training ratings they have; predicts no ratings."""

    name = "popularity"

    def __init__(self, ratings: pd.DataFrame) -> None:
        self.counts = ratings.groupby("movie_id").size()

    def predict(self, users: np.ndarray, movies: np.ndarray) -> None:
        return None

    def ranking_scores(self, user_id: int, movies: np.ndarray) -> np.ndarray:
        return self.counts.reindex(movies).fillna(0).to_numpy(dtype="float64")


class DotProductModel(nn.Module):
    """sigmoid(user . movie + user bias + movie bias + global bias)."""

    def __init__(self, num_users: int, num_movies: int, dim: int, generator: torch.Generator):
        super().__init__()
        self.user_embedding = nn.Embedding(num_users, dim)
        self.movie_embedding = nn.Embedding(num_movies, dim)
        self.user_bias = nn.Embedding(num_users, 1)
        self.movie_bias = nn.Embedding(num_movies, 1)
        self.global_bias = nn.Parameter(torch.zeros(()))
        for embedding in (self.user_embedding, self.movie_embedding):
            nn.init.normal_(embedding.weight, std=0.1, generator=generator)
        nn.init.zeros_(self.user_bias.weight)
        nn.init.zeros_(self.movie_bias.weight)

    def forward(
        self, user_rows: torch.Tensor, movie_rows: torch.Tensor, decay: float = 0.0
    ) -> torch.Tensor:
        users, movies, user_biases, movie_biases = (
            decay_rows(table.weight.index_select(0, rows), decay)
            for table, rows in (
                (self.user_embedding, user_rows),
                (self.movie_embedding, movie_rows),
                (self.user_bias, user_rows),
                (self.movie_bias, movie_rows),
            )
        )
        logit = (users * movies).sum(-1) + user_biases.squeeze(-1) + movie_biases.squeeze(-1)
        return torch.sigmoid(logit + self.global_bias)


class MatrixFactorization:
    """Dot-product matrix factorization with biases, trained like SimpleRec."""

    name = "matrix factorization"

    def __init__(
        self,
        ratings: pd.DataFrame,
        scale: RatingScale,
        train_config: TrainConfig,
        *,
        dim: int = 32,
    ) -> None:
        indexed = IndexedRatings.from_frame(ratings)
        generator = torch.Generator().manual_seed(train_config.seed)
        self.model = DotProductModel(len(indexed.user_ids), len(indexed.movie_ids), dim, generator)
        held_out = held_out_mask(indexed, train_config.validation_fraction, train_config.seed)
        fit_model(
            self.model, RecDataset(indexed, scale), train_config, generator, held_out=held_out
        )
        self.scale = scale
        self.mean = float(ratings["rating"].mean())
        self.users = pd.Index(indexed.user_ids)
        self.movies = pd.Index(indexed.movie_ids)

    def predict(self, users: np.ndarray, movies: np.ndarray) -> np.ndarray:
        user_rows = self.users.get_indexer(users)
        movie_rows = self.movies.get_indexer(movies)
        known = (user_rows >= 0) & (movie_rows >= 0)
        predicted = np.full(len(users), self.mean)
        with torch.inference_mode():
            scores = self.model(
                torch.as_tensor(user_rows[known]), torch.as_tensor(movie_rows[known])
            )
        predicted[known] = self.scale.to_rating(scores.numpy())
        return predicted

    def ranking_scores(self, user_id: int, movies: np.ndarray) -> np.ndarray:
        return self.predict(np.full(len(movies), user_id), movies)
