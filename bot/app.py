"""Build the python-telegram-bot Application with the service, handlers and lifecycle."""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import sys
from collections import Counter
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, BaseUpdateProcessor
from telegram.request import BaseRequest

from bot.config import Settings
from bot.flood import FLOOD_GUARD_KEY, FloodGuard, build_rate_limiter
from bot.handlers import SERVICE_KEY, register_handlers
from bot.profile import publish_profile
from bot.request import build_requests
from bot.service import RecommenderService
from bot.storage import Store
from bot.trainer import Trainer, fit_snapshot
from bot.workers import make_worker

__all__ = [
    "CHECKPOINT_NAME",
    "DATABASE_NAME",
    "PerUserUpdateProcessor",
    "build_application",
    "start_services",
    "stop_services",
]

logger = logging.getLogger(__name__)

DATABASE_NAME = "bot.sqlite3"
CHECKPOINT_NAME = "model.pt"
# A placeholder token for the local transport, which never checks it.
LOCAL_TOKEN = "0:local"


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Process updates of different users concurrently, and each user's in arrival order.

    A user waiting for a training does not hold up anyone else, and their own commands
    still run one after another. The base class takes its semaphore before
    ``do_process_update`` runs, so it gets no effective limit here: otherwise one user's
    queued updates could take every slot while they wait for that user's lock. The limit
    on running handlers is applied after the user's lock instead.
    """

    def __init__(self, max_running_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates=sys.maxsize)
        self._running = asyncio.Semaphore(max_running_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._queued: Counter[int] = Counter()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        user = update.effective_user if isinstance(update, Update) else None
        if user is None:
            async with self._running:
                await coroutine
            return
        lock = self._locks.setdefault(user.id, asyncio.Lock())
        self._queued[user.id] += 1
        try:
            async with lock, self._running:
                await coroutine
        finally:
            self._queued[user.id] -= 1
            if not self._queued[user.id]:
                del self._queued[user.id]
                del self._locks[user.id]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def build_service(settings: Settings) -> RecommenderService:
    """Open the store in ``DATA_DIR`` and wire it to a trainer."""
    store = Store(
        settings.data_dir / DATABASE_NAME,
        default_scale=settings.rating_scale(),
        load_demo_data=settings.load_demo_data,
    )
    scale_settings = {"rating_min", "rating_max", "rating_step"} & settings.model_fields_set
    if scale_settings and store.scale != settings.rating_scale():
        logger.warning(
            "the database keeps its rating scale %g-%g step %g; RATING_MIN, RATING_MAX and "
            "RATING_STEP apply only to a new database",
            store.scale.minimum,
            store.scale.maximum,
            store.scale.step,
        )
    ranking = settings.ranking_settings()
    trainer = Trainer(
        store.snapshot,
        settings.model_settings(),
        settings.train_settings(),
        worker=make_worker(settings.train_worker),
        checkpoint_path=settings.data_dir / CHECKPOINT_NAME,
        read_revision=store.revision,
        debounce_seconds=settings.train_debounce_seconds,
        max_staleness_seconds=settings.train_max_staleness_seconds,
        retry_base_seconds=settings.train_retry_seconds,
        retry_max_seconds=settings.train_retry_max_seconds,
        fit=functools.partial(fit_snapshot, ranking=ranking),
        ranking=ranking,
    )
    return RecommenderService(
        store,
        trainer,
        ranking=ranking,
        recommend_limit=settings.recommend_limit,
        wait_seconds=settings.recommend_wait_seconds,
        personal_min_ratings=settings.personal_min_ratings,
    )


def build_application(settings: Settings, *, request: BaseRequest | None = None) -> Application:
    """Build the Application; with ``request``, all Bot API calls go to that transport."""
    if request is not None:
        token = LOCAL_TOKEN
    elif settings.telegram_bot_token is not None:
        token = settings.telegram_bot_token.get_secret_value()
    else:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")

    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_api_base_url)
        .concurrent_updates(PerUserUpdateProcessor())
        .rate_limiter(build_rate_limiter(settings))
        .post_init(start_services)
        .post_shutdown(stop_services)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    else:
        calls, updates = build_requests(settings)
        builder = builder.request(calls).get_updates_request(updates)
    application = builder.build()
    application.bot_data[SERVICE_KEY] = build_service(settings)
    application.bot_data["shutdown_timeout"] = settings.shutdown_timeout_seconds
    application.bot_data[FLOOD_GUARD_KEY] = FloodGuard(
        settings.flood_limit_commands, settings.flood_limit_seconds
    )
    register_handlers(application)
    return application


async def start_services(application: Application) -> None:
    """Serve the saved model, train if needed and publish the profile (``post_init``)."""
    await application.bot_data[SERVICE_KEY].start()
    await publish_profile(application.bot)
    freeze_startup_objects()
    logger.info("bot @%s started", application.bot.username)


def freeze_startup_objects() -> None:
    """Move the objects alive after start-up out of the garbage collector's view.

    torch, pandas and python-telegram-bot leave about 350,000 long-lived objects. Without
    this, every full collection walks them all and blocks the event loop for about 100 ms
    (``bench/bench_responsiveness.py``, see ``docs/benchmarks.md``). Objects created later
    are collected as usual; the frozen ones are never freed.
    """
    gc.collect()
    gc.freeze()


async def stop_services(application: Application) -> None:
    """Finish a pending training within the shutdown timeout and close the store."""
    service: RecommenderService = application.bot_data[SERVICE_KEY]
    await service.close(application.bot_data["shutdown_timeout"])
    logger.info("bot stopped")
