"""Scoring and ranking movies for one user from a trained model, with labelled fallbacks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

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

    def knows_user(self, user_id: int) -> bool:
        return user_id in self._user_rows

    def _fallback(self, movie_id: int) -> ScoredMovie:
        return ScoredMovie(movie_id, self.fallback_scores.get(movie_id, 0.5), personal=False)

    def score(self, user_id: int, movie_ids: Sequence[int]) -> list[ScoredMovie]:
        """Score ``movie_ids`` for ``user_id`` in the given order."""
        user_row = self._user_rows.get(user_id)
        known = [movie for movie in movie_ids if movie in self._movie_rows]
        if self.trained is None or user_row is None or not known:
            return [self._fallback(movie) for movie in movie_ids]

        movie_rows = torch.tensor([self._movie_rows[movie] for movie in known])
        user_rows = torch.full_like(movie_rows, user_row)
        with torch.inference_mode():
            predicted = self.trained.model(user_rows, movie_rows).tolist()
        personal = dict(zip(known, predicted, strict=True))
        return [
            ScoredMovie(movie, personal[movie], personal=True)
            if movie in personal
            else self._fallback(movie)
            for movie in movie_ids
        ]

    def rank(
        self, user_id: int, movie_ids: Iterable[int], limit: int | None = None
    ) -> list[ScoredMovie]:
        """Score ``movie_ids`` and return them highest score first, ties by movie ID."""
        scored = self.score(user_id, list(movie_ids))
        scored.sort(key=lambda item: (-item.score, item.movie_id))
        return scored if limit is None else scored[:limit]
