"""Event-loop lag and ``/recommend`` latency while the bot retrains, per training worker.

For each worker kind the benchmark builds the real Application on the local Bot API with
a database of the MovieLens ratings and catalogue, trains once, then measures while idle
and during a second training: the lag of a 5 ms ``asyncio.sleep`` and the time to reply to
``/recommend`` for a user the model knows (every unrated movie is scored on the loop).

    python bench/bench_responsiveness.py --movielens /path/to/ml-latest-small
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch
from telegram import Update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bot.app
from bot.app import DATABASE_NAME, build_application, start_services, stop_services
from bot.config import Settings
from bot.handlers import SERVICE_KEY
from bot.storage import Store
from bot.transport import LocalBotApi
from bot.updates import message_update
from recommender.data import RatingScale

PROBE_TELEGRAM_ID = 10_001
RATER_TELEGRAM_ID = 10_002
LAG_INTERVAL = 0.005
SCALE = RatingScale(0.5, 5.0, 0.5)


def build_database(movielens: Path, path: Path) -> int:
    """Load the MovieLens CSVs into a new database; return the number of ratings."""
    Store(path, default_scale=SCALE, load_demo_data=False).close()
    movies = pd.read_csv(movielens / "movies.csv")
    ratings = pd.read_csv(movielens / "ratings.csv")
    now = time.time()
    connection = sqlite3.connect(path)
    with connection:
        connection.executemany(
            "INSERT OR REPLACE INTO movies (movie_id, title) VALUES (?, ?)",
            zip(movies["movieId"].tolist(), movies["title"].tolist(), strict=True),
        )
        users = sorted(ratings["userId"].unique().tolist())
        connection.executemany(
            "INSERT INTO users (user_id, source, created_at) VALUES (?, 'import', ?)",
            [(user, now) for user in users],
        )
        # The probing Telegram user is MovieLens user 1, whom every model has learned.
        connection.execute(
            "UPDATE users SET telegram_id = ? WHERE user_id = 1", (PROBE_TELEGRAM_ID,)
        )
        connection.executemany(
            "INSERT INTO ratings (user_id, movie_id, rating, rated_at, revision) "
            "VALUES (?, ?, ?, ?, 1)",
            zip(
                ratings["userId"].tolist(),
                ratings["movieId"].tolist(),
                ratings["rating"].astype(float).tolist(),
                [now] * len(ratings),
                strict=True,
            ),
        )
        connection.execute("UPDATE meta SET value = '1' WHERE key = 'revision'")
    connection.close()
    return len(ratings)


def summary(values: list[float]) -> tuple[float, float, float]:
    """Return p50, p99 and max in milliseconds."""
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1e3, p99 * 1e3, ordered[-1] * 1e3


async def probe(application, keep_going) -> tuple[list[float], list[float]]:
    """Measure loop lag and ``/recommend`` times while ``keep_going()`` is true."""
    lags: list[float] = []
    answers: list[float] = []

    async def lag_probe() -> None:
        while keep_going():
            started = time.perf_counter()
            await asyncio.sleep(LAG_INTERVAL)
            lags.append(time.perf_counter() - started - LAG_INTERVAL)

    async def recommend_probe() -> None:
        while keep_going():
            data = message_update("/recommend", user_id=PROBE_TELEGRAM_ID)
            update = Update.de_json(data, application.bot)
            started = time.perf_counter()
            await application.process_update(update)
            answers.append(time.perf_counter() - started)
            await asyncio.sleep(0.02)

    await asyncio.gather(lag_probe(), recommend_probe())
    return lags, answers


def report_full_collection(kind: str) -> None:
    """Print how long one full garbage collection takes in the running bot."""
    tracked = len(gc.get_objects())
    started = time.perf_counter()
    gc.collect()
    seconds = time.perf_counter() - started
    print(
        f"{kind}: full gc.collect() {seconds * 1e3:.1f} ms over {tracked} tracked objects, "
        f"{gc.get_freeze_count()} frozen",
        file=sys.stderr,
    )


async def measure(kind: str, database: Path, epochs: int, idle_seconds: float) -> list[tuple]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"bench-{kind}-"))
    shutil.copy(database, data_dir / DATABASE_NAME)
    settings = Settings(
        _env_file=None,
        data_dir=data_dir,
        rating_min=0.5,
        load_demo_data=False,
        train_worker=kind,
        train_epochs=epochs,
        train_debounce_seconds=0,
        # The probe sends far more commands than the per-user flood limit allows.
        flood_limit_commands=1000,
    )
    application = build_application(settings, request=LocalBotApi())
    await application.initialize()
    await start_services(application)
    trainer = application.bot_data[SERVICE_KEY].trainer
    await trainer.wait_idle()
    report_full_collection(kind)
    rows = []

    deadline = time.perf_counter() + idle_seconds
    lags, answers = await probe(application, lambda: time.perf_counter() < deadline)
    rows.append((kind, "idle", lags, answers, 0.0, os.getloadavg()[0]))

    rate = message_update("/rate 1 5", user_id=RATER_TELEGRAM_ID)
    await application.process_update(Update.de_json(rate, application.bot))
    await asyncio.sleep(0)
    started = time.perf_counter()
    lags, answers = await probe(application, lambda: trainer.running or trainer.is_pending(2))
    seconds = time.perf_counter() - started
    rows.append((kind, "training", lags, answers, seconds, os.getloadavg()[0]))

    await stop_services(application)
    await application.shutdown()
    shutil.rmtree(data_dir)
    return rows


def machine() -> str:
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
    cpu = next(
        (line.split(":", 1)[1].strip() for line in lscpu if line.startswith("Model name")),
        platform.processor(),
    )
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"nproc {nproc}, {cpu}, load average {load}, torch {torch.__version__}, "
        f"Python {platform.python_version()}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movielens", type=Path, required=True, help="ml-latest-small folder")
    parser.add_argument("--epochs", type=int, default=10, help="epochs per training")
    parser.add_argument("--idle-seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=2, help="runs of each worker kind")
    parser.add_argument("--workers", default="thread,process")
    parser.add_argument("--torch-threads", type=int, default=1, help="TORCH_THREADS")
    parser.add_argument(
        "--no-gc-freeze",
        action="store_true",
        help="skip the bot's gc.freeze() after start-up, to measure what it saves",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.torch_threads)
    if args.no_gc_freeze:
        bot.app.freeze_startup_objects = lambda: None

    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / DATABASE_NAME
        count = build_database(args.movielens, database)
        print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine()}")
        print(
            f"{count} ratings, {args.epochs} epochs, TORCH_THREADS={args.torch_threads}, "
            f"gc.freeze() {'off' if args.no_gc_freeze else 'on'}"
        )
        print(
            "| worker | phase | training s | lag p50 / p99 / max ms "
            "| /recommend p50 / p99 / max ms | replies | load average (1 min) |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for _ in range(args.rounds):
            for kind in args.workers.split(","):
                for name, phase, lags, answers, seconds, load in await measure(
                    kind, database, args.epochs, args.idle_seconds
                ):
                    lag = "{:.1f} / {:.1f} / {:.1f}".format(*summary(lags))
                    answer = "{:.1f} / {:.1f} / {:.1f}".format(*summary(answers))
                    print(
                        f"| {name} | {phase} | {seconds:.1f} | {lag} | {answer} "
                        f"| {len(answers)} | {load:.1f} |",
                        flush=True,
                    )


if __name__ == "__main__":
    asyncio.run(main())
