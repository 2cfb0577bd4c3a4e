"""Benchmark SimpleRec's training, warm-start retrain, fold-in and /recommend scoring.

Run by hand on a MovieLens folder (ml-latest-small):

    python bench/bench_training.py --movielens DIR [--threads 1] [--skip-per-sample]
        [--fast-repeats 5]

Every figure comes from this one run, so ratios compare like with like on a shared machine.
Training uses the random 90/10 split with seed 42 of ``python -m recommender evaluate``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import Settings
from bot.movielens import import_movielens
from bot.storage import Store
from recommender.baselines import DotProductModel
from recommender.data import MOVIELENS_SCALE, IndexedRatings
from recommender.dataset import RecDataset
from recommender.evaluation import random_split, read_ratings
from recommender.model import ModelConfig
from recommender.ranking import Ranker, RankingConfig
from recommender.training import TrainConfig, TrainResult, fit_model, train


def machine() -> str:
    model = "unknown CPU"
    try:
        lines = subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
        model = next(line.split(":", 1)[1].strip() for line in lines if "Model name" in line)
    except (OSError, StopIteration):
        pass
    return (
        f"{model}, nproc {len(__import__('os').sched_getaffinity(0))}, {platform.python_version()}"
    )


def test_rmse(trained: TrainResult, training: pd.DataFrame, test: pd.DataFrame) -> float:
    users = pd.Index(trained.user_ids).get_indexer(test["user_id"])
    movies = pd.Index(trained.movie_ids).get_indexer(test["movie_id"])
    known = (users >= 0) & (movies >= 0)
    predicted = np.full(len(test), training["rating"].mean())
    with torch.inference_mode():
        scores = trained.model(torch.as_tensor(users[known]), torch.as_tensor(movies[known]))
    predicted[known] = MOVIELENS_SCALE.to_rating(scores.numpy())
    return float(np.sqrt(np.mean((predicted - test["rating"].to_numpy()) ** 2)))


def per_sample_loader(dataset: RecDataset, generator: torch.Generator) -> DataLoader:
    """Build the textbook loader: one sample per ``__getitem__``, collated in batches of 64."""
    return DataLoader(dataset, batch_size=64, shuffle=True, generator=generator)


def timed_training(ratings: IndexedRatings, loader=None, train_config=TrainConfig()):
    epochs: list[float] = []
    started = time.perf_counter()
    trained = train(
        ratings,
        MOVIELENS_SCALE,
        ModelConfig(),
        train_config,
        loader_factory=loader,
        on_epoch=lambda epoch, loss: epochs.append(time.perf_counter()),
    )
    seconds = time.perf_counter() - started
    return trained, seconds


def throughput(ratings: IndexedRatings, trained: TrainResult, seconds: float) -> float:
    """Training ratings per second: the 90% of ``ratings`` not held out, per epoch."""
    per_epoch = seconds / len(trained.epoch_losses)
    return (len(ratings) - int(len(ratings) * TrainConfig().validation_fraction)) / per_epoch


def compare_paths(
    training: pd.DataFrame,
    test: pd.DataFrame,
    skip_per_sample: bool,
    learning_rate: float,
    fast_repeats: int,
) -> None:
    """Train with indexed batches ``fast_repeats`` times (median rate), then per sample once."""
    ratings = IndexedRatings.from_frame(training)
    runs = [timed_training(ratings) for _ in range(fast_repeats)]
    rates = sorted(throughput(ratings, trained, seconds) for trained, seconds in runs)
    fast_rate = statistics.median(rates)
    fast, fast_seconds = runs[0]
    print(
        f"indexed batches of {TrainConfig().batch_size}, default SimpleRec: "
        f"median {fast_rate:,.0f} ratings/s over {fast_repeats} trainings "
        f"({rates[0]:,.0f} to {rates[-1]:,.0f}), {len(fast.epoch_losses)} epochs in "
        f"{fast_seconds:.1f} s, test RMSE {test_rmse(fast, training, test):.4f}"
    )
    if skip_per_sample:
        return
    config = dataclasses.replace(TrainConfig(), learning_rate=learning_rate)
    slow, slow_seconds = timed_training(ratings, per_sample_loader, config)
    slow_rate = throughput(ratings, slow, slow_seconds)
    print(
        f"per-sample Dataset, DataLoader(batch_size=64), learning rate {learning_rate:g}: "
        f"{slow_rate:,.0f} ratings/s, "
        f"{len(slow.epoch_losses)} epochs in {slow_seconds:.1f} s, "
        f"test RMSE {test_rmse(slow, training, test):.4f}"
    )
    print(f"speed-up of indexed batches: {fast_rate / slow_rate:.1f}x")


def other_models(training: pd.DataFrame) -> None:
    """Throughput of three fixed epochs for other model sizes (no early stopping)."""
    ratings = IndexedRatings.from_frame(training)
    config = TrainConfig(epochs=3, validation_fraction=0.0)
    dataset = RecDataset(ratings, MOVIELENS_SCALE)
    for name, model_config in (
        ("single-layer form (hidden 0)", ModelConfig(hidden_dim=0)),
        ("64-wide hidden layer", ModelConfig(hidden_dim=64)),
    ):
        started = time.perf_counter()
        train(ratings, MOVIELENS_SCALE, model_config, config)
        rate = 3 * len(ratings) / (time.perf_counter() - started)
        print(f"indexed batches, {name}: {rate:,.0f} ratings/s")
    generator = torch.Generator().manual_seed(0)
    dim = ModelConfig().embedding_dim
    model = DotProductModel(len(ratings.user_ids), len(ratings.movie_ids), dim, generator)
    started = time.perf_counter()
    fit_model(model, dataset, config, generator)
    rate = 3 * len(ratings) / (time.perf_counter() - started)
    print(f"indexed batches, plain dot-product model (dim {dim}): {rate:,.0f} ratings/s")


def median_ms(action: Callable[[], object], repeats: int) -> float:
    durations = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        durations.append(1000 * (time.perf_counter() - started))
    return statistics.median(durations)


def warm_retrain(ratings: pd.DataFrame) -> TrainResult:
    """Train on every rating, then retrain three times after one new rating each.

    Each retrain goes through ``fit_snapshot`` as in the bot: a warm start, then the fold-in
    of the user who rated, written into the new model.
    """
    from bot.storage import RatingsSnapshot
    from bot.trainer import fit_snapshot

    def snapshot(frame: pd.DataFrame, revision: int, latest_user: int) -> RatingsSnapshot:
        revisions = dict.fromkeys(frame["user_id"].unique().tolist(), 1)
        revisions[latest_user] = revision
        return RatingsSnapshot(frame, revision, (), MOVIELENS_SCALE, revisions)

    cold, cold_seconds = timed_training(IndexedRatings.from_frame(ratings))
    print(f"cold training on {len(ratings):,} ratings: {cold_seconds:.2f} s")
    seconds, epochs, best = [], [], []
    previous = cold
    unrated = sorted(set(ratings["movie_id"]) - set(ratings[ratings["user_id"] == 1]["movie_id"]))
    for index, movie in enumerate(unrated[:3]):
        new = pd.DataFrame([(1, movie, 4.0 + index * 0.5, 2e9)], columns=ratings.columns)
        ratings = pd.concat([ratings, new], ignore_index=True)
        started = time.perf_counter()
        version = fit_snapshot(
            snapshot(ratings, index + 2, 1),
            ModelConfig(),
            TrainConfig(),
            previous=previous,
            previous_revision=index + 1,
            ranking=RankingConfig(),
        )
        seconds.append(time.perf_counter() - started)
        previous = version.ranker.trained
        epochs.append(len(previous.epoch_losses))
        best.append(previous.best_epoch)
    print(
        f"warm retrain after one new rating, with its user's fold-in: median "
        f"{statistics.median(seconds):.2f} s ({', '.join(f'{value:.2f}' for value in seconds)} s; "
        f"epochs {epochs}, best epochs {best}; 0 keeps the starting model)"
    )
    return previous


def fold_in(trained: TrainResult, ratings: pd.DataFrame) -> None:
    ranker = Ranker.for_ratings(trained, ratings, MOVIELENS_SCALE, RankingConfig())
    users = sorted(ratings["user_id"].unique())[:50]
    by_user = {
        user: dict(group[["movie_id", "rating"]].itertuples(index=False))
        for user, group in ratings[ratings["user_id"].isin(users)].groupby("user_id")
    }
    durations = []
    for user in users:
        started = time.perf_counter()
        ranker.fold_in(int(user), by_user[user])
        durations.append(1000 * (time.perf_counter() - started))
    sizes = [len(by_user[user]) for user in users]
    print(
        f"fold-in of one user: median {statistics.median(durations):.1f} ms, "
        f"max {max(durations):.1f} ms over {len(users)} users "
        f"(median {statistics.median(sizes):.0f} ratings each)"
    )


async def recommend(trained: TrainResult, folder: Path) -> None:
    """Time /recommend's scoring: the Ranker alone and the service with a real store."""
    from bot.app import build_service
    from bot.trainer import fit_snapshot

    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(_env_file=None, data_dir=Path(data_dir), load_demo_data=False)
        store = Store(Path(data_dir) / "bot.sqlite3", default_scale=settings.rating_scale())
        import_movielens(store, folder)
        extra = [(900_000 + index, f"Extra movie {index}") for index in range(10_000)]
        with store.transaction() as connection:
            count = connection.execute("SELECT COUNT(*) FROM movies").fetchone()[0]
            connection.executemany(
                "INSERT INTO movies (movie_id, title) VALUES (?, ?)", extra[: 10_000 - count]
            )
        store.close()

        service = build_service(settings)
        version = fit_snapshot(
            service.store.snapshot(),
            ModelConfig(),
            TrainConfig(),
            ranking=RankingConfig(),
        )
        service.trainer.current = version
        ranker = version.ranker
        movies = list(service.titles)
        ranker_ms = median_ms(lambda: ranker.rank(1, movies, limit=10), 50)
        durations = []
        for _ in range(50):
            started = time.perf_counter()
            await service.recommend(1, include_rated=False)
            durations.append(1000 * (time.perf_counter() - started))
        print(
            f"/recommend over {len(movies):,} movies: Ranker.rank median {ranker_ms:.2f} ms, "
            f"RecommenderService.recommend median {statistics.median(durations):.2f} ms"
        )
        await service.close(5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movielens", type=Path, required=True, help="ml-latest-small folder")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument(
        "--skip-per-sample", action="store_true", help="skip the slow per-sample path"
    )
    parser.add_argument(
        "--per-sample-learning-rate",
        type=float,
        default=TrainConfig().learning_rate,
        help="Adam learning rate of the per-sample path (default: the project's)",
    )
    parser.add_argument(
        "--fast-repeats", type=int, default=5, help="trainings of the fast path (default: 5)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"machine: {machine()}; torch {torch.__version__}, {args.threads} thread(s)")
    ratings = read_ratings(args.movielens)[["user_id", "movie_id", "rating", "rated_at"]]
    training, test = random_split(ratings, 0.1, 42)

    # The first optimizer step of a process pays one-off set-up costs: pay them untimed.
    train(IndexedRatings.from_frame(training.head(1000)), MOVIELENS_SCALE)
    compare_paths(
        training, test, args.skip_per_sample, args.per_sample_learning_rate, args.fast_repeats
    )
    other_models(training)
    trained = warm_retrain(ratings)
    fold_in(trained, ratings)
    asyncio.run(recommend(trained, args.movielens))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
