"""Scoring and ranking movies for one user from a trained model, with labelled fallbacks.

The ranking score blends the predicted rating (scaled to [0, 1]) with a popularity prior,
log(1 + ratings of the movie) / log(1 + ratings of the most rated movie):

    score = (1 - prior_weight) * predicted + prior_weight * popularity

A rating model alone ranks obscure movies with a single 5-star rating first; the prior
favours movies that many users rated, which is what held-out ratings mostly are.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from recommender.data import RatingScale
from recommender.foldin import (
    FoldInConfig,
    UserVector,
    fold_in_movies,
    fold_in_users,
    initial_vector,
    write_movie_vectors,
    write_user_vectors,
)
from recommender.training import TrainResult

__all__ = [
    "PRIOR_WEIGHT",
    "RATING_ONLY",
    "Ranker",
    "RankingConfig",
    "ScoredMovie",
    "average_rating_scores",
    "popularity_prior",
]

# The weight with the best NDCG@10 of SimpleRec on MovieLens ml-latest-small, random 90/10
# split with seed 1, among 0.3 to 0.9 in steps of 0.1 (the figures are in docs/benchmarks.md).
PRIOR_WEIGHT = 0.4


@dataclass(frozen=True)
class RankingConfig:
    """Scoring settings of a ``Ranker``: the popularity prior's weight and fold-in."""

    prior_weight: float = PRIOR_WEIGHT
    fold_in: FoldInConfig = FoldInConfig()

    def __post_init__(self) -> None:
        if not 0 <= self.prior_weight <= 1:
            raise ValueError(f"prior_weight must be in [0, 1], got {self.prior_weight}")


# Ranks by the predicted rating alone, as the model outputs it.
RATING_ONLY = RankingConfig(prior_weight=0.0)


@dataclass(frozen=True)
class ScoredMovie:
    """One movie's ranking score in [0, 1] and its predicted rating in stars.

    ``personal`` is false when the predicted rating is a fallback (the movie's average
    rating) because the model does not know the user or the movie.
    """

    movie_id: int
    score: float
    personal: bool
    predicted: float | None = None


def average_rating_scores(ratings: pd.DataFrame, scale: RatingScale) -> dict[int, float]:
    """Map each rated movie to its mean rating, scaled to [0, 1] like training targets."""
    if ratings.empty:
        return {}
    means = ratings.groupby("movie_id")["rating"].mean()
    return {int(movie): float(scale.to_target(mean)) for movie, mean in means.items()}


def popularity_prior(ratings: pd.DataFrame) -> dict[int, float]:
    """Map each rated movie to log(1 + its rating count) / log(1 + the largest count)."""
    if ratings.empty:
        return {}
    counts = ratings.groupby("movie_id").size()
    prior = np.log1p(counts) / np.log1p(counts.max())
    return {int(movie): float(value) for movie, value in prior.items()}


class Ranker:
    """Rank movies for a user from a ``TrainResult``, or by average rating without one.

    A user or movie that the model has no embedding row for gets the movie's average
    rating (0.5 for a movie nobody rated) as its predicted score, marked ``personal=False``.
    ``fold_in`` gives one user a fresh embedding; the model itself never changes, except
    through ``refit_model_rows`` and ``refit_movie_rows`` before the ranker is served.
    """

    def __init__(
        self,
        trained: TrainResult | None,
        fallback_scores: Mapping[int, float],
        *,
        scale: RatingScale | None = None,
        popularity: Mapping[int, float] | None = None,
        config: RankingConfig = RATING_ONLY,
    ) -> None:
        self.trained = trained
        self.scale = scale
        self.fallback_scores = dict(fallback_scores)
        self.config = config
        self._fallback = pd.Series(self.fallback_scores, dtype="float64")
        self._popularity = pd.Series(dict(popularity or {}), dtype="float64")
        self._folded: dict[int, UserVector] = {}
        self._lock = threading.Lock()
        if trained is None:
            self._user_rows: dict[int, int] = {}
            self._movie_index = pd.Index([], dtype="int64")
        else:
            self._user_rows = {user: row for row, user in enumerate(trained.user_ids)}
            self._movie_index = pd.Index(trained.movie_ids, dtype="int64")

    def __getstate__(self) -> dict:
        # A process worker sends rankers between processes; a lock cannot be pickled.
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @classmethod
    def for_ratings(
        cls,
        trained: TrainResult | None,
        ratings: pd.DataFrame,
        scale: RatingScale,
        config: RankingConfig = RATING_ONLY,
    ) -> Ranker:
        """Build a ranker whose fallback and prior come from ``ratings``."""
        return cls(
            trained,
            average_rating_scores(ratings, scale),
            scale=scale,
            popularity=popularity_prior(ratings),
            config=config,
        )

    @functools.cached_property
    def movie_rows(self) -> dict[int, int]:
        """Map each movie the model has a row for to that row, built on first use."""
        return {int(movie): row for row, movie in enumerate(self._movie_index)}

    def without_model(self) -> Ranker:
        """Return a ranker with the same fallback, prior and settings but no model."""
        popularity = self._popularity.to_dict()
        return Ranker(
            None, self.fallback_scores, scale=self.scale, popularity=popularity, config=self.config
        )

    def knows_user(self, user_id: int) -> bool:
        return user_id in self._user_rows or user_id in self._folded

    def _user_vector(self, user_id: int) -> UserVector | None:
        folded = self._folded.get(user_id)
        if folded is not None or self.trained is None or user_id not in self._user_rows:
            return folded
        embedding, bias = self.trained.model.user_vectors(torch.tensor(self._user_rows[user_id]))
        return UserVector(embedding, bias)

    def fold_in(self, user_id: int, ratings: Mapping[int, float]) -> bool:
        """Fit the user's embedding to ``ratings`` (movie ID to stars); false if impossible.

        Needs a trained model, a rating scale and at least one rated movie the model knows.
        """
        return user_id in self.fold_in_many({user_id: ratings})

    def fold_in_many(self, ratings: Mapping[int, Mapping[int, float]]) -> set[int]:
        """Fold in several users (user ID to their ratings) in one batch; return who was."""
        vectors = self.fit_user_vectors(ratings)
        with self._lock:
            self._folded.update(vectors)
        return set(vectors)

    def refit_model_rows(self, ratings: Mapping[int, Mapping[int, float]]) -> int:
        """Fold in users the model has rows for and write their vectors into those rows.

        Unlike ``fold_in``, this changes the model, so it is for a model that is not served
        yet. Returns the number of users refitted.
        """
        known = {user: value for user, value in ratings.items() if user in self._user_rows}
        vectors = self.fit_user_vectors(known)
        write_user_vectors(
            self.trained.model, {self._user_rows[user]: vector for user, vector in vectors.items()}
        )
        return len(vectors)

    def refit_movie_rows(self, ratings: pd.DataFrame, movie_ids: Iterable[int]) -> int:
        """Fit the rows of ``movie_ids`` to their ratings, users and layers frozen.

        ``ratings`` has user_id, movie_id and rating columns. Like ``refit_model_rows``, this
        changes the model. Returns the number of movies refitted.
        """
        if self.trained is None or self.scale is None:
            return 0
        rated = ratings[ratings["movie_id"].isin(list(movie_ids))]
        users = pd.Index(self.trained.user_ids).get_indexer(rated["user_id"])
        movies = self._movie_index.get_indexer(rated["movie_id"])
        known = (users >= 0) & (movies >= 0)
        if not known.any():
            return 0
        rows, owners = np.unique(movies[known], return_inverse=True)
        model = self.trained.model
        with torch.no_grad():
            embeddings, biases = model.movie_vectors(torch.as_tensor(rows))
        starts = [
            UserVector(embeddings[index], None if biases is None else biases[index])
            for index in range(len(rows))
        ]
        stars = torch.as_tensor(rated["rating"].to_numpy(dtype="float32")[known])
        vectors = fold_in_movies(
            model,
            starts,
            torch.as_tensor(owners),
            torch.as_tensor(users[known]),
            self.scale.to_target(stars).clamp(0.0, 1.0),
            self.config.fold_in,
        )
        write_movie_vectors(model, dict(zip(rows.tolist(), vectors, strict=True)))
        return len(rows)

    def fit_user_vectors(
        self, ratings: Mapping[int, Mapping[int, float]]
    ) -> dict[int, UserVector]:
        """Fit vectors for users who rated a movie the model has a row for; store nothing."""
        if self.trained is None or self.scale is None:
            return {}
        users, starts, owners, movie_rows, stars = [], [], [], [], []
        model = self.trained.model
        for user_id, user_ratings in ratings.items():
            rows = self._movie_index.get_indexer(list(user_ratings))
            known = rows >= 0
            if not known.any():
                continue
            owners.append(np.full(int(known.sum()), len(users)))
            movie_rows.append(rows[known])
            stars.append(np.fromiter(user_ratings.values(), dtype=np.float32)[known])
            users.append(user_id)
            start = self._folded.get(user_id)
            starts.append(start or initial_vector(model, self._user_rows.get(user_id)))
        if not users:
            return {}
        targets = self.scale.to_target(torch.as_tensor(np.concatenate(stars))).clamp(0.0, 1.0)
        vectors = fold_in_users(
            model,
            starts,
            torch.as_tensor(np.concatenate(owners)),
            torch.as_tensor(np.concatenate(movie_rows)),
            targets,
            self.config.fold_in,
        )
        return dict(zip(users, vectors, strict=True))

    def _predicted(self, user_id: int, movie_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the predicted scores in [0, 1] and which of them are personal."""
        predicted = self._fallback.reindex(movie_ids).fillna(0.5).to_numpy(copy=True)
        personal = np.zeros(len(movie_ids), dtype=bool)
        vector = self._user_vector(user_id)
        if vector is None:
            return predicted, personal
        rows = self._movie_index.get_indexer(movie_ids)
        personal = rows >= 0
        if personal.any():
            with torch.inference_mode():
                scores = self.trained.model.predict(
                    vector.embedding, vector.bias, torch.as_tensor(rows[personal])
                )
            predicted[personal] = scores.numpy()
        return predicted, personal

    def score_arrays(
        self, user_id: int, movie_ids: Sequence[int]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Return movie IDs, ranking scores, predicted scores and personal flags as arrays."""
        ids = np.asarray(movie_ids, dtype=np.int64)
        predicted, personal = self._predicted(user_id, ids)
        scores = predicted
        weight = self.config.prior_weight
        if weight:
            prior = self._popularity.reindex(ids).fillna(0.0).to_numpy()
            scores = (1 - weight) * predicted + weight * prior
        return ids, scores, predicted, personal

    def _scored(self, movie_id, score, predicted, personal) -> ScoredMovie:
        # A movie nobody rated has no prediction, only the placeholder score 0.5.
        rated = personal or int(movie_id) in self.fallback_scores
        stars = float(self.scale.to_rating(predicted)) if self.scale and rated else None
        return ScoredMovie(int(movie_id), float(score), bool(personal), stars)

    def score(self, user_id: int, movie_ids: Sequence[int]) -> list[ScoredMovie]:
        """Score ``movie_ids`` for ``user_id`` in the given order."""
        arrays = self.score_arrays(user_id, movie_ids)
        return [self._scored(*values) for values in zip(*arrays, strict=True)]

    def rank(
        self, user_id: int, movie_ids: Iterable[int], limit: int | None = None
    ) -> list[ScoredMovie]:
        """Score ``movie_ids`` and return them highest score first, ties by movie ID."""
        ids, scores, predicted, personal = self.score_arrays(user_id, list(movie_ids))
        order = np.lexsort((ids, -scores))[:limit]
        return [
            self._scored(ids[index], scores[index], predicted[index], personal[index])
            for index in order
        ]
