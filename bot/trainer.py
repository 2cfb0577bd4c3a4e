"""Background retraining: one training at a time, coalesced requests, atomic model swap.

``Trainer.request()`` marks the model stale. A single asyncio task takes a snapshot of the
store, trains on it in a worker thread and then replaces ``Trainer.current`` in one
assignment, so a request sees the old model or the new one and never a half-built one.
Requests that arrive while a training runs cause exactly one more training afterwards,
which reads the newest snapshot.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bot.storage import RatingsSnapshot
from recommender.data import IndexedRatings
from recommender.model import ModelConfig
from recommender.ranking import Ranker, average_rating_scores
from recommender.training import TrainConfig, TrainingCancelled, train

__all__ = ["ModelVersion", "Trainer", "fit_snapshot"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelVersion:
    """A ranker with the facts about the training that produced it."""

    ranker: Ranker
    revision: int
    rating_count: int
    epochs: int
    final_loss: float | None
    seconds: float
    trained_at: float


def fit_snapshot(
    snapshot: RatingsSnapshot,
    model_config: ModelConfig,
    train_config: TrainConfig,
    should_stop: Callable[[], bool] | None = None,
) -> ModelVersion:
    """Train SimpleRec on a snapshot; with no ratings, return an untrained fallback ranker."""
    fallback = average_rating_scores(snapshot.ratings, snapshot.scale)
    rating_count = len(snapshot.ratings)
    if rating_count == 0:
        return ModelVersion(
            Ranker(None, fallback), snapshot.revision, 0, 0, None, 0.0, time.time()
        )

    # Only rated movies get embedding rows: an unrated movie would keep its random
    # initialisation, so the ranker gives it the labelled fallback score instead.
    ratings = IndexedRatings.from_frame(snapshot.ratings)
    trained = train(ratings, snapshot.scale, model_config, train_config, should_stop=should_stop)
    return ModelVersion(
        ranker=Ranker(trained, fallback),
        revision=snapshot.revision,
        rating_count=rating_count,
        epochs=len(trained.epoch_losses),
        final_loss=trained.final_loss,
        seconds=trained.seconds,
        trained_at=time.time(),
    )


class Trainer:
    """Single-flight retraining in a worker thread, started by ``request()``."""

    def __init__(
        self,
        take_snapshot: Callable[[], RatingsSnapshot],
        model_config: ModelConfig,
        train_config: TrainConfig,
        *,
        fit: Callable[..., ModelVersion] = fit_snapshot,
        retry_base_seconds: float = 1.0,
        retry_max_seconds: float = 300.0,
    ) -> None:
        self._take_snapshot = take_snapshot
        self._fit = fit
        self._model_config = model_config
        self._train_config = train_config
        self._retry_base = retry_base_seconds
        self._retry_max = retry_max_seconds
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trainer")
        self._stop = threading.Event()
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._dirty = False
        self._failures = 0
        self._closing = False

        self.current: ModelVersion | None = None
        self.runs = 0
        self.running = False
        self.last_error: str | None = None

    @property
    def trained_revision(self) -> int:
        return 0 if self.current is None else self.current.revision

    def is_pending(self, revision: int) -> bool:
        """Return true if ratings up to ``revision`` are not yet in the served model."""
        return revision > self.trained_revision and (self.running or self._task is not None)

    def request(self) -> None:
        """Mark the model stale; a training on a fresh snapshot follows."""
        if self._closing:
            return
        self._dirty = True
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="trainer")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._dirty and not self._stop.is_set():
                self._dirty = False
                snapshot = await asyncio.to_thread(self._take_snapshot)
                self.running = True
                self.runs += 1
                run = self.runs
                try:
                    version = await loop.run_in_executor(
                        self._executor,
                        self._fit,
                        snapshot,
                        self._model_config,
                        self._train_config,
                        self._stop.is_set,
                    )
                except TrainingCancelled:
                    logger.info("training run %d cancelled at shutdown", run)
                    return
                except Exception as error:
                    self._dirty = True
                    await self._record_failure(run, len(snapshot.ratings), error)
                    continue
                finally:
                    self.running = False
                self._failures = 0
                self.last_error = None
                self.current = version
                logger.info(
                    "training run %d done: %d ratings, %d epochs, loss %.4f, %.2f s",
                    run,
                    version.rating_count,
                    version.epochs,
                    version.final_loss if version.final_loss is not None else float("nan"),
                    version.seconds,
                )
                await self._notify()
        finally:
            self._task = None
            await self._notify()

    async def _record_failure(self, run: int, rating_count: int, error: Exception) -> None:
        self._failures += 1
        self.last_error = f"{type(error).__name__}: {error}"
        delay = min(self._retry_base * 2 ** (self._failures - 1), self._retry_max)
        logger.error(
            "training run %d failed on %d ratings, retrying in %.1f s: %s",
            run,
            rating_count,
            delay,
            self.last_error,
            exc_info=error,
        )
        await self._notify()
        if self._closing:
            self._stop.set()
            return
        await asyncio.sleep(delay)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, revision: int, timeout: float) -> bool:
        """Wait until the served model includes ``revision``; return false on timeout.

        Also returns (false) early when no training is pending or the latest one failed.
        """

        def ready() -> bool:
            return self.trained_revision >= revision or self._task is None or self._failures > 0

        try:
            async with self._changed:
                await asyncio.wait_for(self._changed.wait_for(ready), timeout)
        except TimeoutError:
            return False
        return self.trained_revision >= revision

    async def wait_idle(self) -> None:
        """Wait until no training is running or pending."""
        async with self._changed:
            await self._changed.wait_for(lambda: self._task is None)

    async def close(self, timeout: float) -> None:
        """Finish a pending or running training within ``timeout`` seconds, then stop."""
        self._closing = True
        task = self._task
        if task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout)
            except TimeoutError:
                logger.warning("training still running after %.1f s: cancelling it", timeout)
                self._stop.set()
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self._stop.set()
        self._executor.shutdown(wait=True)
