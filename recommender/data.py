"""Ratings data: the rating scale, the demo data set and the user-item matrix.

Ratings travel as a pandas DataFrame with the columns ``user_id``, ``movie_id`` and
``rating`` (and optionally ``rated_at``). The user-item matrix is a view of those rows for
small catalogues; training reads the rated cells directly (see ``IndexedRatings``) and never
builds a dense matrix.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

__all__ = [
    "DEMO_MOVIE_IDS",
    "DEMO_MOVIE_TITLES",
    "DEMO_SCALE",
    "MOVIELENS_SCALE",
    "RATING_COLUMNS",
    "IndexedRatings",
    "RatingScale",
    "demo_ratings",
    "latest_ratings",
    "user_item_matrix",
]

RATING_COLUMNS = ["user_id", "movie_id", "rating"]
# A scale with more steps than this is a configuration mistake, not a rating scale.
MAX_SCALE_STEPS = 1000

DEMO_MOVIE_IDS = (101, 102, 103, 104)

# NOTE: the demo catalogue has IDs only; these placeholder titles are shown until a real
# catalogue is imported.
DEMO_MOVIE_TITLES = {
    101: "Demo movie 101",
    102: "Demo movie 102",
    103: "Demo movie 103",
    104: "Demo movie 104",
}

# Five synthetic users with two taste groups (101/102 versus 103/104) and one user in
# between, so that a personal model has something to learn.
_DEMO_ROWS = [
    (1, 101, 4.0),
    (1, 102, 5.0),
    (1, 103, 2.0),
    (2, 101, 5.0),
    (2, 102, 4.0),
    (2, 104, 1.0),
    (3, 101, 1.0),
    (3, 103, 5.0),
    (3, 104, 4.0),
    (4, 102, 2.0),
    (4, 103, 4.0),
    (4, 104, 5.0),
    (5, 101, 3.0),
    (5, 102, 4.0),
    (5, 103, 3.0),
    (5, 104, 2.0),
]


def demo_ratings() -> pd.DataFrame:
    """Build the synthetic ratings: 5 users, movies 101-104, ratings from 1.0 to 5.0."""
    return pd.DataFrame(_DEMO_ROWS, columns=RATING_COLUMNS)


@dataclass(frozen=True)
class RatingScale:
    """Allowed ratings: ``minimum`` to ``maximum`` inclusive, in multiples of ``step``."""

    minimum: float = 1.0
    maximum: float = 5.0
    step: float = 0.5

    def __post_init__(self) -> None:
        values = (self.minimum, self.maximum, self.step)
        if not all(math.isfinite(value) for value in values):
            raise ValueError(f"rating scale values must be finite, got {values}")
        if self.step <= 0 or self.minimum >= self.maximum:
            raise ValueError(
                f"invalid rating scale {self.minimum}-{self.maximum} step {self.step}: "
                "expected minimum < maximum and step > 0"
            )
        steps = (self.maximum - self.minimum) / self.step
        if not math.isfinite(steps) or steps > MAX_SCALE_STEPS:
            raise ValueError(
                f"rating scale {self.minimum:g}-{self.maximum:g} step {self.step:g} has "
                f"{steps:g} steps; at most {MAX_SCALE_STEPS} are allowed"
            )
        if not self._on_grid(self.maximum):
            raise ValueError(
                f"rating scale maximum {self.maximum} is not a multiple of step {self.step} "
                f"above the minimum {self.minimum}"
            )

    def _on_grid(self, value: float) -> bool:
        steps = (value - self.minimum) / self.step
        return abs(steps - round(steps)) < 1e-9

    def check(self, rating: float) -> None:
        """Raise ``ValueError`` with a readable reason unless ``rating`` is on the scale."""
        if not math.isfinite(rating):
            raise ValueError(f"a rating must be a finite number, got {rating}")
        if not self.minimum <= rating <= self.maximum:
            raise ValueError(
                f"rating {rating:g} is outside the scale {self.minimum:g} to {self.maximum:g}"
            )
        if not self._on_grid(rating):
            raise ValueError(f"rating {rating:g} is not a multiple of {self.step:g}")

    def snap(self, rating: float) -> float:
        """Return the scale value nearest to ``rating``, removing float noise such as 4.4999999."""
        steps = round((rating - self.minimum) / self.step)
        return min(self.maximum, max(self.minimum, self.minimum + steps * self.step))

    def rescale(self, rating: float, source: RatingScale) -> float:
        """Map a rating from ``source`` onto this scale, snapped to its steps."""
        return self.snap(self.to_rating(source.to_target(rating)))

    def values(self) -> list[float]:
        """List every allowed rating from the lowest to the highest."""
        count = round((self.maximum - self.minimum) / self.step)
        return [self.minimum + index * self.step for index in range(count + 1)]

    def to_target(self, ratings: np.ndarray | torch.Tensor | float):
        """Map ratings on this scale to BCE targets in [0, 1]."""
        return (ratings - self.minimum) / (self.maximum - self.minimum)

    def to_rating(self, scores: np.ndarray | torch.Tensor | float):
        """Map scores in [0, 1] back to ratings on this scale."""
        return self.minimum + scores * (self.maximum - self.minimum)


# The scale of ``demo_ratings()``.
DEMO_SCALE = RatingScale(1.0, 5.0, 0.5)
MOVIELENS_SCALE = RatingScale(0.5, 5.0, 0.5)


def latest_ratings(ratings: pd.DataFrame) -> pd.DataFrame:
    """Keep one row per (user, movie): the latest by ``rated_at`` if present, else the last."""
    if "rated_at" in ratings.columns:
        ratings = ratings.sort_values("rated_at", kind="stable")
    return ratings.drop_duplicates(["user_id", "movie_id"], keep="last")


def user_item_matrix(
    ratings: pd.DataFrame, movie_ids: Iterable[int] | None = None
) -> pd.DataFrame:
    """Pivot ratings into a users x movies matrix with 0.0 where a user has not rated.

    Every movie in ``movie_ids`` gets a column even if nobody rated it. A re-rated movie
    keeps the latest rating.
    """
    matrix = latest_ratings(ratings).pivot(index="user_id", columns="movie_id", values="rating")
    if movie_ids is not None:
        columns = sorted(set(movie_ids) | set(matrix.columns))
        matrix = matrix.reindex(columns=columns)
    return matrix.fillna(0.0).astype("float32")


@dataclass(frozen=True)
class IndexedRatings:
    """Rated cells as row indices into the model's embeddings, with their ratings.

    ``user_ids[i]`` is the user whose embedding is row ``i``; the same holds for movies.
    """

    user_ids: tuple[int, ...]
    movie_ids: tuple[int, ...]
    user_rows: torch.Tensor
    movie_rows: torch.Tensor
    ratings: torch.Tensor

    @classmethod
    def from_frame(
        cls,
        ratings: pd.DataFrame,
        *,
        user_ids: Sequence[int] | None = None,
        movie_ids: Sequence[int] | None = None,
    ) -> IndexedRatings:
        """Index rated cells; users and movies default to those that occur in ``ratings``."""
        ratings = latest_ratings(ratings)
        users = tuple(sorted(set(user_ids or ()) | set(ratings["user_id"].tolist())))
        movies = tuple(sorted(set(movie_ids or ()) | set(ratings["movie_id"].tolist())))
        user_rows = pd.Index(users).get_indexer(ratings["user_id"])
        movie_rows = pd.Index(movies).get_indexer(ratings["movie_id"])
        return cls(
            user_ids=users,
            movie_ids=movies,
            user_rows=torch.as_tensor(user_rows, dtype=torch.long),
            movie_rows=torch.as_tensor(movie_rows, dtype=torch.long),
            ratings=torch.tensor(ratings["rating"].to_numpy(dtype="float32")),
        )

    @classmethod
    def from_matrix(cls, matrix: pd.DataFrame) -> IndexedRatings:
        """Index the non-zero cells of a user-item matrix, where 0.0 means "not rated"."""
        values = matrix.to_numpy()
        user_rows, movie_rows = np.nonzero(values)
        return cls(
            user_ids=tuple(int(user) for user in matrix.index),
            movie_ids=tuple(int(movie) for movie in matrix.columns),
            user_rows=torch.as_tensor(user_rows, dtype=torch.long),
            movie_rows=torch.as_tensor(movie_rows, dtype=torch.long),
            ratings=torch.tensor(values[user_rows, movie_rows], dtype=torch.float32),
        )

    def __len__(self) -> int:
        return int(self.ratings.shape[0])
