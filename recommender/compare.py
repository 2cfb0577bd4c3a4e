"""Fit SimpleRec and the baselines on both splits of a ratings file and print the tables.

This is ``python -m recommender evaluate --ratings PATH [--seed N] [--plot FILE]``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from recommender.baselines import BiasBaseline, GlobalMean, MatrixFactorization, Popularity
from recommender.data import IndexedRatings, RatingScale
from recommender.evaluation import (
    ModelScores,
    SplitReport,
    evaluate_split,
    format_header,
    format_row,
    latest_split,
    random_split,
)
from recommender.model import ModelConfig
from recommender.ranking import PRIOR_WEIGHT, Ranker, RankingConfig
from recommender.training import TrainConfig, train

__all__ = ["SimpleRecModel", "plot_losses", "run_evaluation"]


class SimpleRecModel:
    """A trained SimpleRec behind the ``Ranker`` the bot uses, with one prior weight."""

    def __init__(self, name: str, ranker: Ranker, mean: float, history) -> None:
        self.name = name
        self.ranker = ranker
        self.mean = mean
        self.history = history

    @classmethod
    def fit_both(
        cls,
        training: pd.DataFrame,
        scale: RatingScale,
        model_config: ModelConfig,
        train_config: TrainConfig,
        prior_weight: float,
    ) -> list[SimpleRecModel]:
        """Train once; return the model ranked by predicted rating and by the blended score."""
        trained = train(IndexedRatings.from_frame(training), scale, model_config, train_config)
        history = (trained.epoch_losses, trained.validation_losses)
        mean = float(training["rating"].mean())
        models = []
        for name, weight in (("SimpleRec, rating only", 0.0), ("SimpleRec", prior_weight)):
            config = RankingConfig(prior_weight=weight)
            ranker = Ranker.for_ratings(trained, training, scale, config)
            models.append(cls(name, ranker, mean, history))
        return models

    def predict(self, users: np.ndarray, movies: np.ndarray) -> np.ndarray:
        predicted = np.full(len(users), self.mean)
        pairs = pd.DataFrame({"user": users, "movie": movies})
        for user_id, group in pairs.groupby("user"):
            if not self.ranker.knows_user(int(user_id)):
                continue
            _, _, scores, personal = self.ranker.score_arrays(int(user_id), group["movie"])
            stars = self.ranker.scale.to_rating(scores)
            predicted[group.index[personal]] = stars[personal]
        return predicted

    def ranking_scores(self, user_id: int, movies: np.ndarray) -> np.ndarray:
        return self.ranker.score_arrays(user_id, movies)[1]


def model_factories(
    scale: RatingScale, model_config: ModelConfig, train_config: TrainConfig, prior_weight: float
) -> list[Callable]:
    return [
        GlobalMean,
        BiasBaseline,
        Popularity,
        lambda training: MatrixFactorization(training, scale, train_config),
        lambda training: SimpleRecModel.fit_both(
            training, scale, model_config, train_config, prior_weight
        ),
    ]


def run_evaluation(
    ratings: pd.DataFrame,
    scale: RatingScale,
    *,
    seed: int = 42,
    prior_weight: float = PRIOR_WEIGHT,
    model_config: ModelConfig = ModelConfig(),
    output: Callable[[str], None] = print,
) -> list[SplitReport]:
    """Evaluate every model on the random split, then on the per-user latest split."""
    for rating in np.unique(ratings["rating"].to_numpy()):
        scale.check(float(rating))
    train_config = TrainConfig(seed=seed)
    factories = model_factories(scale, model_config, train_config, prior_weight)
    catalogue = np.unique(ratings["movie_id"].to_numpy())
    splits = [
        (f"Random 90/10 split, seed {seed}", *random_split(ratings, 0.1, seed)),
        ("Per-user split, latest 10% of each user's ratings held out", *latest_split(ratings)),
    ]
    output(
        f"{len(ratings)} ratings by {ratings['user_id'].nunique()} users "
        f"on {len(catalogue)} movies"
    )
    reports = []
    for title, training, test in splits:
        started = time.perf_counter()
        output(f"\n{title}: {len(training)} training, {len(test)} test ratings")
        output(format_header())

        def show(row: ModelScores) -> None:
            output(format_row(row))

        reports.append(evaluate_split(title, training, test, catalogue, factories, show))
        output(f"({time.perf_counter() - started:.1f} s)")
    return reports


def plot_losses(reports: list[SplitReport], path: Path) -> None:
    """Write SimpleRec's training and validation loss per epoch, one panel per split."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(1, len(reports), figsize=(6 * len(reports), 4))
    for axis, report in zip(np.atleast_1d(axes), reports, strict=True):
        epochs = range(1, len(report.losses) + 1)
        axis.plot(epochs, report.losses, label="training")
        if report.validation_losses:
            axis.plot(epochs, report.validation_losses, label="validation")
        axis.set_title(report.title, fontsize=9)
        axis.set_xlabel("epoch")
        axis.set_ylabel("mean BCE loss")
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, format="png")
    pyplot.close(figure)
