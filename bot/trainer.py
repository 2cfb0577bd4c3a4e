"""Background retraining: one training at a time, coalesced requests, atomic model swap.

``Trainer.request()`` marks the model stale. After a debounce, because more ratings may
follow, but never past the maximum staleness, a single asyncio task takes a snapshot of
the store and trains on it in a worker (see ``bot.workers``). It then replaces
``Trainer.current`` in one assignment, so a request gets the old model or the new one and
never a half-built one. Requests that arrive while a training runs cause exactly one more
training afterwards, which reads the newest snapshot. Each new model is saved as a
checkpoint, and ``start()`` serves the saved one at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.storage import RatingsSnapshot
from bot.workers import ThreadWorker, TrainingWorker
from recommender import checkpoint
from recommender.data import IndexedRatings
from recommender.model import ModelConfig
from recommender.ranking import Ranker, RankingConfig, popularity_prior
from recommender.training import TrainConfig, TrainingCancelled, TrainResult, train

__all__ = ["ModelVersion", "Trainer", "TrainerStatus", "fit_snapshot"]

logger = logging.getLogger(__name__)

# A warm start is for a few new ratings: above this share of the ratings by users or of
# movies that are new or changed since the previous model, training starts from scratch.
WARM_START_MAX_NEW_SHARE = 0.25


@dataclass(frozen=True)
class ModelVersion:
    """A ranker with the facts about the training that produced it.

    ``version`` counts the models trained on this data folder, across restarts;
    ``refitted_users`` is how many users were folded in after a warm start.
    """

    ranker: Ranker
    revision: int
    rating_count: int
    epochs: int
    final_loss: float | None
    seconds: float
    trained_at: float
    version: int = 0
    refitted_users: int = 0


@dataclass(frozen=True)
class TrainerStatus:
    """The served model and the trainer's state, as ``/status`` reports them."""

    current: ModelVersion | None
    running: bool
    pending: bool
    runs: int
    last_error: str | None
    last_error_at: float | None


def fit_snapshot(
    snapshot: RatingsSnapshot,
    model_config: ModelConfig,
    train_config: TrainConfig,
    should_stop: Callable[[], bool] | None = None,
    previous: TrainResult | None = None,
    *,
    previous_revision: int = 0,
    ranking: RankingConfig = RankingConfig(),
) -> ModelVersion:
    """Train SimpleRec on a snapshot; with no ratings, return an untrained fallback ranker.

    With ``previous``, users and movies it learned start from its rows (a warm start).
    Afterwards the movies new to it, then the users who are new to it or rated after
    ``previous_revision``, are fitted with the rest frozen (fold-in) and their rows
    written into the model. Early stopping often keeps the starting model after a few new
    ratings, because it has the best validation loss. The fold-in still gives new rows a
    fit and makes the model reflect the new ratings, as the served one did. When those
    users and movies hold more than ``WARM_START_MAX_NEW_SHARE`` of the ratings, training
    starts from scratch instead.
    ``ranking`` sets the ranker's popularity prior and fold-in.
    """
    rating_count = len(snapshot.ratings)
    if rating_count == 0:
        ranker = Ranker.for_ratings(None, snapshot.ratings, snapshot.scale, ranking)
        return ModelVersion(ranker, snapshot.revision, 0, 0, None, 0.0, time.time())

    # Only rated movies get embedding rows: an unrated movie would keep its random
    # initialisation, so the ranker gives it the labelled fallback score instead.
    ratings = IndexedRatings.from_frame(snapshot.ratings)
    changed: dict[int, dict[int, float]] = {}
    new_movies: set[int] = set()
    if previous is not None:
        changed = _changed_ratings(snapshot, previous, previous_revision)
        new_movies = set(ratings.movie_ids) - set(previous.movie_ids)
        new_share = sum(map(len, changed.values())) + int(
            snapshot.ratings["movie_id"].isin(new_movies).sum()
        )
        if new_share > WARM_START_MAX_NEW_SHARE * rating_count:
            # As after an import: the warm start would carry little over, and folding in
            # that many ratings would take longer than the training itself.
            previous, changed, new_movies = None, {}, set()
    trained = train(
        ratings,
        snapshot.scale,
        model_config,
        train_config,
        previous=previous,
        should_stop=should_stop,
    )
    ranker = Ranker.for_ratings(trained, snapshot.ratings, snapshot.scale, ranking)
    refitted = 0
    if previous is not None:
        # Movies first: the users' fold-in scores them with these rows.
        ranker.refit_movie_rows(snapshot.ratings, new_movies)
        refitted = ranker.refit_model_rows(changed)
    return ModelVersion(
        ranker=ranker,
        revision=snapshot.revision,
        rating_count=rating_count,
        epochs=len(trained.epoch_losses),
        final_loss=trained.final_loss,
        seconds=trained.seconds,
        trained_at=time.time(),
        refitted_users=refitted,
    )


def _changed_ratings(
    snapshot: RatingsSnapshot, previous: TrainResult, previous_revision: int
) -> dict[int, dict[int, float]]:
    """Return the ratings of users new to ``previous`` or who rated after its revision."""
    known = set(previous.user_ids)
    changed = set(snapshot.users_changed_since(previous_revision))
    changed.update(user for user in snapshot.user_revisions if user not in known)
    ratings = snapshot.ratings[snapshot.ratings["user_id"].isin(changed)]
    return {
        int(user): dict(zip(group["movie_id"].tolist(), group["rating"].tolist(), strict=True))
        for user, group in ratings.groupby("user_id")
    }


def version_from_checkpoint(
    saved: checkpoint.Checkpoint,
    snapshot: RatingsSnapshot,
    ranking: RankingConfig = RankingConfig(),
) -> ModelVersion:
    """Serve a saved model, with the popularity prior of the current ratings."""
    trained = saved.trained
    ranker = Ranker(
        trained,
        saved.fallback_scores,
        scale=snapshot.scale,
        popularity=popularity_prior(snapshot.ratings),
        config=ranking,
    )
    return ModelVersion(
        ranker=ranker,
        revision=saved.revision,
        rating_count=saved.rating_count,
        epochs=len(trained.epoch_losses),
        final_loss=trained.final_loss if trained.epoch_losses else None,
        seconds=trained.seconds,
        trained_at=saved.trained_at,
        version=saved.version,
    )


def checkpoint_from_version(
    version: ModelVersion, model_config: ModelConfig, train_config: TrainConfig
) -> checkpoint.Checkpoint | None:
    """Return the checkpoint of a trained version, or ``None`` for a fallback ranker."""
    trained = version.ranker.trained
    if trained is None:
        return None
    return checkpoint.Checkpoint(
        trained=trained,
        model_config=model_config,
        train_config=train_config,
        fallback_scores=version.ranker.fallback_scores,
        revision=version.revision,
        rating_count=version.rating_count,
        version=version.version,
        trained_at=version.trained_at,
    )


class Trainer:
    """Single-flight retraining in a worker, started by ``request()``."""

    def __init__(
        self,
        take_snapshot: Callable[[], RatingsSnapshot],
        model_config: ModelConfig,
        train_config: TrainConfig,
        *,
        fit: Callable[..., ModelVersion] = fit_snapshot,
        ranking: RankingConfig = RankingConfig(),
        worker: TrainingWorker | None = None,
        checkpoint_path: Path | None = None,
        read_revision: Callable[[], int] | None = None,
        debounce_seconds: float = 0.0,
        max_staleness_seconds: float = 60.0,
        retry_base_seconds: float = 1.0,
        retry_max_seconds: float = 300.0,
    ) -> None:
        self._take_snapshot = take_snapshot
        self._read_revision = read_revision or (lambda: take_snapshot().revision)
        self._fit = fit
        self._ranking = ranking
        self._worker = worker if worker is not None else ThreadWorker()
        self._model_config = model_config
        self._train_config = train_config
        self._checkpoint_path = checkpoint_path
        self._debounce = debounce_seconds
        self._max_staleness = max_staleness_seconds
        self._retry_base = retry_base_seconds
        self._retry_max = retry_max_seconds
        self._changed = asyncio.Condition()
        self._wake = asyncio.Event()
        self._flush = asyncio.Event()
        self._closed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._dirty = False
        self._last_request = 0.0
        self._stale_since: float | None = None
        self._failures = 0
        self._closing = False
        self._stopped = False

        self.current: ModelVersion | None = None
        # Called with each newly trained model right after it replaced ``current``.
        self.on_new_model: Callable[[ModelVersion], None] | None = None
        self.runs = 0
        self.running = False
        self.last_error: str | None = None
        self.last_error_at: float | None = None

    @property
    def trained_revision(self) -> int:
        return 0 if self.current is None else self.current.revision

    def is_pending(self, revision: int) -> bool:
        """Return true if ratings up to ``revision`` are not yet in the served model."""
        return revision > self.trained_revision and (self.running or self._task is not None)

    def status(self) -> TrainerStatus:
        return TrainerStatus(
            current=self.current,
            running=self.running,
            pending=self._task is not None and not self.running,
            runs=self.runs,
            last_error=self.last_error,
            last_error_at=self.last_error_at,
        )

    async def start(self) -> None:
        """Serve the saved checkpoint if it fits, and train if the ratings changed since."""
        saved = None
        if self._checkpoint_path is not None:
            saved = await asyncio.to_thread(self._load_checkpoint)
        if saved is None:
            # Nothing to serve yet: train now rather than after the debounce.
            self.request()
            self.flush()
            return
        snapshot = await asyncio.to_thread(self._take_snapshot)
        self.current = version_from_checkpoint(saved, snapshot, self._ranking)
        revision = snapshot.revision
        if revision != saved.revision or saved.train_config != self._train_config:
            logger.info(
                "serving checkpoint version %d (revision %d); retraining for revision %d",
                saved.version,
                saved.revision,
                revision,
            )
            self.request()
        else:
            logger.info("serving checkpoint version %d, up to date", saved.version)

    def _load_checkpoint(self) -> checkpoint.Checkpoint | None:
        path = self._checkpoint_path
        try:
            saved = checkpoint.load(path)
        except FileNotFoundError:
            logger.info("no checkpoint at %s: training a new model", path)
            return None
        except (OSError, checkpoint.CheckpointError) as error:
            logger.warning("checkpoint %s is unusable, training a new model: %s", path, error)
            return None
        revision = self._read_revision()
        if saved.model_config != self._model_config:
            logger.warning(
                "checkpoint %s has model settings %s, not %s: training a new model",
                path,
                saved.model_config,
                self._model_config,
            )
            return None
        if saved.revision > revision:
            logger.warning(
                "checkpoint %s learned revision %d but the database is at revision %d: "
                "it belongs to another database, training a new model",
                path,
                saved.revision,
                revision,
            )
            return None
        return saved

    def request(self) -> None:
        """Mark the model stale; a training on a fresh snapshot follows after the debounce."""
        if self._closing:
            return
        loop = asyncio.get_running_loop()
        self._dirty = True
        self._last_request = loop.time()
        if self._stale_since is None:
            self._stale_since = self._last_request
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run(), name="trainer")

    def flush(self) -> None:
        """Start a pending training now instead of at the end of its debounce."""
        if self._task is not None:
            self._flush.set()
            self._wake.set()

    async def _wait_for_quiet(self) -> None:
        """Wait until no request came for the debounce, or the maximum staleness passed."""
        loop = asyncio.get_running_loop()
        while not self._flush.is_set():
            stale_since = self._stale_since if self._stale_since is not None else loop.time()
            deadline = min(self._last_request + self._debounce, stale_since + self._max_staleness)
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), remaining)
            except TimeoutError:
                return

    async def _run(self) -> None:
        try:
            while self._dirty and not self._stopped:
                await self._wait_for_quiet()
                self._dirty = False
                self._stale_since = None
                self._flush.clear()
                if not await self._train_once():
                    return
        finally:
            self._task = None
            await self._notify()

    async def _train_once(self) -> bool:
        """Run one training and swap in its model; return false to stop the loop."""
        snapshot = await asyncio.to_thread(self._take_snapshot)
        self.running = True
        self.runs += 1
        run = self.runs
        failure: Exception | None = None
        try:
            version = await self._worker.run(
                self._fit,
                snapshot,
                self._model_config,
                self._train_config,
                previous=self._served_model(),
                previous_revision=self.trained_revision,
            )
        except TrainingCancelled:
            logger.info("training run %d cancelled at shutdown", run)
            return False
        except Exception as error:
            failure = error
        finally:
            self.running = False
        if failure is not None:
            self._dirty = True
            await self._record_failure(run, len(snapshot.ratings), failure)
            return not self._stopped

        number = (self.current.version if self.current is not None else 0) + 1
        version = dataclasses.replace(version, version=number)
        self._failures = 0
        self.last_error = None
        self.last_error_at = None
        self.current = version
        if self.on_new_model is not None:
            self.on_new_model(version)
        logger.info(
            "training run %d done: model version %d, %d ratings, %d epochs, loss %.4f, "
            "%d users folded in, %.2f s",
            run,
            version.version,
            version.rating_count,
            version.epochs,
            version.final_loss if version.final_loss is not None else math.nan,
            version.refitted_users,
            version.seconds,
        )
        await self._save_checkpoint(version)
        await self._notify()
        return True

    def _served_model(self) -> TrainResult | None:
        """Return the served model as a warm start for the next training, if it has one."""
        return None if self.current is None else self.current.ranker.trained

    async def _save_checkpoint(self, version: ModelVersion) -> None:
        if self._checkpoint_path is None:
            return
        saved = checkpoint_from_version(version, self._model_config, self._train_config)
        if saved is None:
            return
        try:
            await asyncio.to_thread(checkpoint.save, saved, self._checkpoint_path)
        except OSError as error:
            logger.error(
                "failed to save checkpoint %s of model version %d: %s",
                self._checkpoint_path,
                version.version,
                error,
            )

    async def _record_failure(self, run: int, rating_count: int, error: Exception) -> None:
        self._failures += 1
        self.last_error = f"{type(error).__name__}: {error}"
        self.last_error_at = time.time()
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
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closed.wait(), delay)
        if self._closing:
            self._stopped = True

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, revision: int, timeout: float, *, flush: bool = True) -> bool:
        """Wait until the served model includes ``revision``; return false on timeout.

        With ``flush``, ends a running debounce. Also returns (false) early when no
        training is pending or the latest one failed.
        """

        def ready() -> bool:
            return self.trained_revision >= revision or self._task is None or self._failures > 0

        if flush:
            self.flush()
        try:
            async with self._changed:
                await asyncio.wait_for(self._changed.wait_for(ready), timeout)
        except TimeoutError:
            return False
        return self.trained_revision >= revision

    async def wait_idle(self) -> None:
        """End a running debounce and wait until no training is running or pending."""
        self.flush()
        async with self._changed:
            await self._changed.wait_for(lambda: self._task is None)

    async def close(self, timeout: float) -> None:
        """Finish a pending or running training within ``timeout`` seconds, then stop."""
        self._closing = True
        self._closed.set()
        self.flush()
        task = self._task
        if task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout)
            except TimeoutError:
                logger.warning("training still running after %.1f s: cancelling it", timeout)
                self._stopped = True
                self._worker.stop()
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self._stopped = True
        await asyncio.to_thread(self._worker.close)
