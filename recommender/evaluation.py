"""Offline evaluation of SimpleRec and the baselines on a ratings file.

Two splits: a random 90/10 split of all ratings, and a per-user split that holds out the
latest 10% of each user's ratings (at least one for a user with two or more). Per model it
reports RMSE and MAE of the predicted rating in stars, and NDCG@10 and hit rate@10 of the
ranking score over every movie the user has not rated in training. A held-out rating of
4 or more is relevant (binary gain); users with no relevant held-out movie are skipped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

__all__ = [
    "ModelScores",
    "SplitReport",
    "evaluate_model",
    "hit_rate_at_k",
    "latest_split",
    "ndcg_at_k",
    "random_split",
    "read_ratings",
]

RELEVANT_RATING = 4.0
TOP_K = 10


class Evaluated(Protocol):
    name: str

    def predict(self, users: np.ndarray, movies: np.ndarray) -> np.ndarray | None: ...

    def ranking_scores(self, user_id: int, movies: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class ModelScores:
    """One row of an evaluation table; ``rmse`` and ``mae`` are ``None`` for rankers only."""

    name: str
    rmse: float | None
    mae: float | None
    ndcg: float
    hit_rate: float
    distinct_lists: int


@dataclass
class SplitReport:
    """An evaluation table for one split, with SimpleRec's loss curves."""

    title: str
    training_count: int
    test_count: int
    rows: list[ModelScores] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    validation_losses: list[float] = field(default_factory=list)


def read_ratings(path: Path) -> pd.DataFrame:
    """Read a MovieLens ``ratings.csv`` (or the one in a folder) into the ratings columns."""
    if path.is_dir():
        path = path / "ratings.csv"
    frame = pd.read_csv(path)
    missing = {"userId", "movieId", "rating"} - set(frame.columns)
    if missing:
        raise ValueError(f"{path} lacks the columns {sorted(missing)}")
    frame = frame.rename(
        columns={"userId": "user_id", "movieId": "movie_id", "timestamp": "rated_at"}
    )
    if "rated_at" not in frame.columns:
        frame["rated_at"] = np.arange(len(frame), dtype="float64")
    return frame


def random_split(
    ratings: pd.DataFrame, fraction: float = 0.1, seed: int = 42
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out a random ``fraction`` of all ratings."""
    order = np.random.default_rng(seed).permutation(len(ratings))
    held_out = round(len(ratings) * fraction)
    return ratings.iloc[order[held_out:]], ratings.iloc[order[:held_out]]


def latest_split(
    ratings: pd.DataFrame, fraction: float = 0.1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out each user's latest ``fraction`` of ratings by ``rated_at``.

    A user with n ratings keeps floor(n * fraction) of them out, and at least one if n >= 2.
    """
    ordered = ratings.sort_values(["user_id", "rated_at", "movie_id"], kind="stable")
    grouped = ordered.groupby("user_id")
    position_from_end = grouped.cumcount(ascending=False)
    count = grouped["rating"].transform("size")
    held_out = np.maximum(np.floor(count * fraction), (count >= 2).astype(int))
    test = position_from_end < held_out
    return ordered[~test], ordered[test]


def ndcg_at_k(ranked: Sequence[int], relevant: set[int], k: int = TOP_K) -> float:
    """Binary-gain NDCG of the first ``k`` of ``ranked``; 0 when nothing is relevant."""
    gains = [1.0 / math.log2(position + 2) for position, movie in enumerate(ranked[:k])]
    dcg = sum(gain for gain, movie in zip(gains, ranked[:k], strict=True) if movie in relevant)
    ideal = sum(1.0 / math.log2(position + 2) for position in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


def hit_rate_at_k(ranked: Sequence[int], relevant: set[int], k: int = TOP_K) -> float:
    """1.0 if any of the first ``k`` of ``ranked`` is relevant, else 0.0."""
    return 1.0 if any(movie in relevant for movie in ranked[:k]) else 0.0


def top_movies(scores: np.ndarray, movies: np.ndarray, k: int = TOP_K) -> list[int]:
    """Return the ``k`` movies with the highest scores, ties by lower movie ID."""
    if len(movies) > k:
        # Sort only the movies that score at least the k-th highest score, ties included:
        # a full sort of every movie for every user is slow.
        threshold = np.partition(scores, len(scores) - k)[len(scores) - k]
        best = scores >= threshold
        scores, movies = scores[best], movies[best]
    order = np.lexsort((movies, -scores))[:k]
    return [int(movie) for movie in movies[order]]


def _rating_errors(model: Evaluated, test: pd.DataFrame) -> tuple[float | None, float | None]:
    predicted = model.predict(test["user_id"].to_numpy(), test["movie_id"].to_numpy())
    if predicted is None:
        return None, None
    errors = predicted - test["rating"].to_numpy()
    return float(np.sqrt(np.mean(errors**2))), float(np.mean(np.abs(errors)))


def evaluate_model(
    model: Evaluated, training: pd.DataFrame, test: pd.DataFrame, catalogue: np.ndarray
) -> ModelScores:
    """Score one fitted model on the held-out ratings."""
    rmse, mae = _rating_errors(model, test)
    rated = training.groupby("user_id")["movie_id"].agg(set)
    relevant = test[test["rating"] >= RELEVANT_RATING].groupby("user_id")["movie_id"].agg(set)
    ndcg, hits, lists = [], [], set()
    for user_id, seen in rated.items():
        candidates = catalogue[~np.isin(catalogue, list(seen))]
        top = top_movies(model.ranking_scores(int(user_id), candidates), candidates)
        lists.add(tuple(top))
        if user_id in relevant.index:
            ndcg.append(ndcg_at_k(top, relevant[user_id]))
            hits.append(hit_rate_at_k(top, relevant[user_id]))
    return ModelScores(
        name=model.name,
        rmse=rmse,
        mae=mae,
        ndcg=float(np.mean(ndcg)) if ndcg else 0.0,
        hit_rate=float(np.mean(hits)) if hits else 0.0,
        distinct_lists=len(lists),
    )


def evaluate_split(
    title: str,
    training: pd.DataFrame,
    test: pd.DataFrame,
    catalogue: np.ndarray,
    models: Sequence[Callable[[pd.DataFrame], Evaluated | list[Evaluated]]],
    on_row: Callable[[ModelScores], None] | None = None,
) -> SplitReport:
    """Fit each model factory on ``training`` and score what it builds on ``test``.

    A factory may return several models that share one fit, such as one model ranked two ways.
    """
    report = SplitReport(title, len(training), len(test))
    for build in models:
        built = build(training)
        for model in built if isinstance(built, list) else [built]:
            report.rows.append(evaluate_model(model, training, test, catalogue))
            if on_row is not None:
                on_row(report.rows[-1])
            history = getattr(model, "history", None)
            if history is not None:
                report.losses, report.validation_losses = history
    return report


def format_row(row: ModelScores, width: int = 32) -> str:
    def number(value: float | None) -> str:
        return "     -" if value is None else f"{value:6.4f}"

    return (
        f"{row.name:<{width}} {number(row.rmse)} {number(row.mae)}  {row.ndcg:7.4f}"
        f"  {row.hit_rate:6.4f}  {row.distinct_lists:8d}"
    )


def format_header(width: int = 32) -> str:
    return f"{'model':<{width}}   RMSE    MAE  NDCG@10   HR@10  distinct top-10"
