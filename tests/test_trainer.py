import asyncio
import multiprocessing
import threading

import pytest

from bot.storage import Store
from bot.trainer import Trainer, fit_snapshot
from bot.workers import ProcessWorker
from recommender.data import RatingScale
from recommender.model import ModelConfig
from recommender.training import TrainConfig

FAST = TrainConfig(epochs=5)


@pytest.fixture
def store(tmp_path):
    opened = Store(tmp_path / "bot.sqlite3", default_scale=RatingScale())
    yield opened
    opened.close()


class CountingFit:
    """``fit_snapshot`` that counts calls and can be held back or made to fail."""

    def __init__(self, fail: bool = False) -> None:
        self.calls = 0
        self.fail = fail
        self.release = threading.Event()
        self.release.set()
        self.entered = threading.Event()

    def __call__(
        self, snapshot, model_config, train_config, should_stop=None, previous=None, **options
    ):
        self.calls += 1
        self.entered.set()
        self.release.wait(timeout=30)
        if self.fail:
            raise RuntimeError("simulated training failure")
        return fit_snapshot(snapshot, model_config, train_config, should_stop, previous, **options)


def make_trainer(store, fit, **options):
    return Trainer(store.snapshot, ModelConfig(), FAST, fit=fit, **options)


async def test_trainer_learns_latest_revision(store):
    trainer = make_trainer(store, CountingFit())
    trainer.request()
    await trainer.wait_idle()
    assert trainer.trained_revision == store.revision()
    assert trainer.current.rating_count == 16
    await trainer.close(5)


async def test_burst_of_requests_coalesces(store):
    fit = CountingFit()
    fit.release.clear()
    trainer = make_trainer(store, fit)
    user_id, _ = store.register(555)
    trainer.request()
    await asyncio.to_thread(fit.entered.wait, 30)
    for index in range(100):
        store.set_rating(user_id, 101 + index % 4, 1.0 + index % 9 * 0.5)
        trainer.request()
    fit.release.set()
    await trainer.wait_idle()
    assert fit.calls <= 2
    assert trainer.trained_revision == store.revision()
    await trainer.close(5)


async def test_failed_training_keeps_previous_model(store):
    fit = CountingFit()
    trainer = make_trainer(store, fit, retry_base_seconds=0.01, retry_max_seconds=0.01)
    trainer.request()
    await trainer.wait_idle()
    served = trainer.current

    fit.fail = True
    user_id, _ = store.register(555)
    written = store.set_rating(user_id, 101, 5.0)
    trainer.request()
    assert not await trainer.wait_for(written.revision, timeout=30)
    assert trainer.current is served
    assert "simulated training failure" in trainer.last_error

    fit.fail = False
    await trainer.wait_idle()
    assert trainer.trained_revision == written.revision
    assert trainer.last_error is None
    await trainer.close(5)


async def test_wait_for_times_out_while_held(store):
    fit = CountingFit()
    fit.release.clear()
    trainer = make_trainer(store, fit)
    trainer.request()
    assert not await trainer.wait_for(store.revision(), timeout=0.05)
    assert trainer.is_pending(store.revision())
    fit.release.set()
    assert await trainer.wait_for(store.revision(), timeout=30)
    await trainer.close(5)


async def test_close_finishes_pending_training(store):
    fit = CountingFit()
    trainer = make_trainer(store, fit)
    trainer.request()
    await trainer.close(30)
    assert trainer.trained_revision == store.revision()
    trainer.request()
    assert fit.calls == 1


async def test_close_cancels_training_past_timeout(store):
    trainer = Trainer(store.snapshot, ModelConfig(), TrainConfig(epochs=10_000))
    trainer.request()
    await asyncio.sleep(0)
    await trainer.close(0.2)
    assert trainer.current is None
    assert not trainer.running


async def test_empty_store_serves_fallback(tmp_path):
    store = Store(tmp_path / "db", default_scale=RatingScale(), load_demo_data=False)
    trainer = make_trainer(store, CountingFit())
    store.register(1)
    trainer.request()
    await trainer.wait_idle()
    assert trainer.current is not None
    assert trainer.current.ranker.trained is None
    await trainer.close(5)
    store.close()


@pytest.mark.e2e
async def test_process_worker_trains_and_cancels(store):
    trainer = make_trainer(store, fit_snapshot, worker=ProcessWorker())
    trainer.request()
    await trainer.wait_idle()
    assert trainer.current.ranker.knows_user(1)
    assert trainer.current.rating_count == 16

    user_id, _ = store.register(555)
    store.set_rating(user_id, 101, 5.0)
    trainer._train_config = TrainConfig(epochs=10_000)
    trainer.request()
    await trainer.close(0.5)
    assert trainer.trained_revision == 1
    assert not trainer.running
    assert multiprocessing.active_children() == []


def add_rated_users(store, telegram_ids, rating=None):
    """Register users who rate every demo movie, ``rating`` or a spread of ratings."""
    for telegram_id in telegram_ids:
        user, _ = store.register(telegram_id)
        for movie in (101, 102, 103, 104):
            value = 1.0 + (telegram_id + movie) % 9 * 0.5 if rating is None else rating
            store.set_rating(user, movie, value)


def warm_retrain(store, first):
    """Retrain on the store's snapshot, warm-started from the version ``first``."""
    return fit_snapshot(
        store.snapshot(),
        ModelConfig(),
        FAST,
        previous=first.ranker.trained,
        previous_revision=first.revision,
    )


def test_warm_retrain_folds_in_who_rated_since(store):
    # Enough earlier ratings that the new ones are few, so the retrain starts warm.
    add_rated_users(store, range(600, 620))
    first = fit_snapshot(store.snapshot(), ModelConfig(), FAST)
    newcomer, _ = store.register(555)
    store.set_rating(newcomer, 104, 5.0)
    store.set_rating(newcomer, 101, 1.0)
    demo_user = 1
    store.set_rating(demo_user, 104, 5.0)
    second = warm_retrain(store, first)
    assert second.refitted_users == 2
    scored = second.ranker.score(newcomer, [101, 104])
    stars = {movie.movie_id: movie.predicted for movie in scored}
    assert stars[104] > 4
    assert stars[101] < 2


def test_cold_training_folds_in_nobody(store):
    assert fit_snapshot(store.snapshot(), ModelConfig(), FAST).refitted_users == 0


def test_retrain_after_many_new_ratings_starts_cold(store):
    first = fit_snapshot(store.snapshot(), ModelConfig(), FAST)
    add_rated_users(store, range(600, 610), rating=4.0)
    second = warm_retrain(store, first)
    assert second.refitted_users == 0
    assert second.rating_count == 56


def test_warm_retrain_folds_in_who_deleted_a_rating(store):
    add_rated_users(store, range(600, 620))
    first = fit_snapshot(store.snapshot(), ModelConfig(), FAST)
    assert store.delete_rating(1, 101)
    second = warm_retrain(store, first)
    assert second.refitted_users == 1
