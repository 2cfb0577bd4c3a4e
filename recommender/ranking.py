"""Scoring and ranking movies for one user from a trained model, with labelled fallbacks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from recommender.data import RatingScale
from recommender.training import TrainResult

__all__ = ["Ranker", "ScoredMovie", "average_rating_scores"]


@dataclass(frozen=True)
class ScoredMovie:
    """One movie's ranking score in [0, 1].

    ``personal`` is false when the score is a fallback (the average rating, scaled) because
    the model does not know the user or the movie.
    """

    movie_id: int
    score: float
    personal: bool


def average_rating_scores(ratings: pd.DataFrame, scale: RatingScale) -> dict[int, float]:
    """Map each rated movie to its mean rating, scaled to [0, 1] like training targets."""
    if ratings.empty:
        return {}
    means = ratings.groupby("movie_id")["rating"].mean()
    return {int(movie): float(scale.to_target(mean)) for movie, mean in means.items()}


class Ranker:
    """Rank movies for a user from a ``TrainResult``, or by average rating without one.

    A user or movie that the model has no embedding row for gets the movie's average
    rating as a fallback score (0.5 for a movie nobody rated), marked ``personal=False``.
    """

    def __init__(
        self,
        trained: TrainResult | None,
        fallback_scores: Mapping[int, float],
    ) -> None:
        self.trained = trained
        self.fallback_scores = dict(fallback_scores)
        if trained is None:
            self._user_rows: dict[int, int] = {}
            self._movie_rows: dict[int, int] = {}
        else:
            self._user_rows = {user: row for row, user in enumerate(trained.user_ids)}
            self._movie_rows = {movie: row for row, movie in enumerate(trained.movie_ids)}
        # Hash indexes look up a whole catalogue in one call instead of one dict lookup
        # per movie on the event loop.
        self._movie_index = pd.Index(list(self._movie_rows), dtype=np.int64)
        self._fallback_index = pd.Index(list(self.fallback_scores), dtype=np.int64)
        self._fallback_values = np.append(
            np.fromiter(self.fallback_scores.values(), dtype=np.float64), 0.5
        )

    def knows_user(self, user_id: int) -> bool:
        return user_id in self._user_rows

    def _scores(self, user_id: int, movie_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Return the score of each movie and whether it is personal, as two arrays."""
        ids = np.asarray(movie_ids, dtype=np.int64)
        # get_indexer returns -1 for a missing movie, which picks the appended 0.5.
        scores = self._fallback_values[self._fallback_index.get_indexer(ids)]
        personal = np.zeros(len(ids), dtype=bool)
        user_row = self._user_rows.get(user_id)
        if self.trained is None or user_row is None:
            return scores, personal
        rows = self._movie_index.get_indexer(ids)
        personal = rows >= 0
        if not personal.any():
            return scores, personal
        movie_rows = torch.from_numpy(rows[personal])
        user_rows = torch.full_like(movie_rows, user_row)
        with torch.inference_mode():
            scores[personal] = self.trained.model(user_rows, movie_rows).numpy()
        return scores, personal

    def score(self, user_id: int, movie_ids: Sequence[int]) -> list[ScoredMovie]:
        """Score ``movie_ids`` for ``user_id`` in the given order."""
        scores, personal = self._scores(user_id, movie_ids)
        return [
            ScoredMovie(movie, float(score), bool(known))
            for movie, score, known in zip(movie_ids, scores, personal, strict=True)
        ]

    def rank(
        self, user_id: int, movie_ids: Iterable[int], limit: int | None = None
    ) -> list[ScoredMovie]:
        """Score ``movie_ids`` and return them highest score first, ties by movie ID.

        Sorting runs in numpy and only the returned movies become objects, so ranking a
        catalogue of 10,000 movies takes a few milliseconds on the event loop.
        """
        movies = list(movie_ids)
        scores, personal = self._scores(user_id, movies)
        ids = np.array(movies, dtype=np.int64)
        order = np.lexsort((ids, -scores))
        if limit is not None:
            order = order[:limit]
        return [
            ScoredMovie(int(ids[index]), float(scores[index]), bool(personal[index]))
            for index in order
        ]
