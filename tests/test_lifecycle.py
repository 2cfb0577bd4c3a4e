"""Training through the real Application: coalescing, failures, checkpoints and restarts."""

import asyncio
import logging
import threading

from bot.app import CHECKPOINT_NAME
from bot.storage import Store
from bot.trainer import fit_snapshot
from recommender import checkpoint
from recommender.data import RatingScale
from recommender.training import TrainingError
from tests.conftest import start_harness, stop_harness


class ControlledFit:
    """Real training that counts its calls, can be held back by ``release`` or fail."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = threading.Event()
        self.release.set()
        self.entered = threading.Event()
        self.error: Exception | None = None
        self.previous: list = []

    def __call__(self, *args, previous=None, **kwargs):
        self.calls += 1
        self.previous.append(previous)
        self.entered.set()
        self.release.wait(timeout=30)
        if self.error is not None:
            raise self.error
        return fit_snapshot(*args, previous=previous, **kwargs)


def control(harness) -> ControlledFit:
    fit = ControlledFit()
    harness.service.trainer._fit = fit
    return fit


async def wait_for_learned(trainer, revision: int) -> None:
    """Wait, without ending a debounce, until the served model learned ``revision``."""
    assert await trainer.wait_for(revision, timeout=30, flush=False)


async def test_burst_of_ratings_trains_at_most_twice(bot):
    fit = control(bot)
    fit.release.clear()
    await bot.send("/rate 101 4", user_id=500)
    await asyncio.to_thread(fit.entered.wait, 30)
    for index in range(100):
        await bot.send(f"/rate {101 + index % 4} {1 + index % 9 * 0.5:g}", user_id=600 + index)
    fit.release.set()
    await bot.settle()
    assert fit.calls == 2
    store = bot.service.store
    assert bot.service.trainer.trained_revision == store.revision()
    ranker = bot.service.trainer.current.ranker
    assert all(ranker.knows_user(store.user_for_telegram(600 + index)) for index in range(100))


async def test_debounce_coalesces_without_a_running_training(make_settings):
    harness = await start_harness(make_settings(train_debounce_seconds=600))
    await harness.settle()
    fit = control(harness)
    for index in range(100):
        await harness.send(f"/rate {101 + index % 4} 3", user_id=700 + index)
    assert fit.calls == 0
    assert "waiting for more ratings" in await harness.reply("/status")
    await harness.settle()
    assert fit.calls == 1
    assert harness.service.trainer.trained_revision == harness.service.store.revision()
    await stop_harness(harness)


async def test_recommend_ends_the_debounce(make_settings):
    harness = await start_harness(make_settings(train_debounce_seconds=600))
    await harness.settle()
    await harness.send("/rate 104 5", user_id=555)
    reply = await harness.reply("/recommend", user_id=555)
    assert reply.startswith("Your top picks:")
    await stop_harness(harness)


async def test_maximum_staleness_starts_training(make_settings):
    harness = await start_harness(
        make_settings(train_debounce_seconds=600, train_max_staleness_seconds=0.2)
    )
    await harness.settle()
    for index in range(5):
        await harness.send("/rate 102 4", user_id=800 + index)
    await wait_for_learned(harness.service.trainer, harness.service.store.revision())
    await stop_harness(harness)


async def test_status_while_training_is_held(bot):
    fit = control(bot)
    fit.release.clear()
    await bot.send("/rate 104 5", user_id=555)
    await asyncio.to_thread(fit.entered.wait, 30)
    reply = await bot.reply("/status", user_id=777)
    assert "Model version 1," in reply
    assert "Ratings learned: 16 of 17 stored." in reply
    assert "Training: running now." in reply
    assert "You are user #7." in await bot.reply("/start", user_id=777)
    fit.release.set()
    await bot.settle()
    reply = await bot.reply("/status", user_id=777)
    assert "Model version 2," in reply
    assert "Ratings learned: 17 of 17 stored." in reply
    assert "Training: idle." in reply


async def test_failed_training_keeps_old_model_and_reports(make_settings, caplog):
    harness = await start_harness(make_settings(train_retry_seconds=600))
    await harness.settle()
    served = harness.service.trainer.current
    fit = control(harness)
    fit.error = TrainingError("loss became nan at epoch 3")
    await harness.send("/rate 104 5", user_id=555)
    reply = await harness.reply("/recommend", user_id=555)
    # The old model serves the new rating through fold-in, so the picks are not stale.
    assert "Still learning" not in reply
    assert reply.startswith("Your top picks")
    user_id = harness.service.store.user_for_telegram(555)
    assert await harness.service.wait_for_model(user_id)
    revision = harness.service.store.user_revision(user_id)
    assert not await harness.service.trainer.wait_for(revision, 5)
    assert harness.service.trainer.current is served

    status = await harness.reply("/status")
    assert "Model version 1," in status
    assert "Last training error" in status
    assert "TrainingError: loss became nan at epoch 3" in status
    assert "waiting to retry" in status
    assert "training run 2 failed on 17 ratings" in caplog.text
    assert "loss became nan" in caplog.text
    await stop_harness(harness)


async def test_failed_training_retries_with_backoff(make_settings):
    harness = await start_harness(make_settings(train_retry_seconds=0.01))
    await harness.settle()
    fit = control(harness)
    fit.error = RuntimeError("simulated crash")
    await harness.send("/rate 104 5", user_id=555)
    trainer = harness.service.trainer
    assert not await trainer.wait_for(harness.service.store.revision(), timeout=30)
    fit.error = None
    await harness.settle()
    assert trainer.trained_revision == harness.service.store.revision()
    assert trainer.last_error is None
    assert "error" not in await harness.reply("/status")
    await stop_harness(harness)


async def test_empty_store_reports_fallback(make_settings):
    harness = await start_harness(make_settings(load_demo_data=False))
    await harness.settle()
    reply = await harness.reply("/status")
    assert reply.startswith("No trained model: too little data to train")
    assert "ranks movies by average rating" in reply
    assert "Last training error" not in reply
    assert not (harness.service.store.path.parent / CHECKPOINT_NAME).exists()
    await stop_harness(harness)


async def test_restart_serves_checkpoint_without_training(make_settings):
    settings = make_settings()
    first = await start_harness(settings)
    await first.send("/rate 104 5", user_id=555)
    await first.settle()
    learned = first.service.trainer.current
    await stop_harness(first)
    assert (settings.data_dir / CHECKPOINT_NAME).exists()

    second = await start_harness(settings)
    fit = control(second)
    current = second.service.trainer.current
    assert current is not None
    assert current.version == learned.version
    assert current.revision == learned.revision
    assert not second.service.trainer.is_pending(current.revision + 1)
    assert (await second.reply("/recommend", user_id=555)).startswith("Your top picks:")
    assert fit.calls == 0
    await stop_harness(second)


async def test_restart_after_new_ratings_serves_then_retrains(make_settings):
    settings = make_settings()
    first = await start_harness(settings)
    await first.settle()
    await stop_harness(first)
    store = Store(settings.data_dir / "bot.sqlite3", default_scale=RatingScale())
    user_id, _ = store.register(555)
    store.set_rating(user_id, 103, 5.0)
    store.close()

    second = await start_harness(settings)
    fit = control(second)
    fit.release.clear()
    trainer = second.service.trainer
    assert trainer.current.version == 1
    assert "ranked by average rating" in await second.reply("/recommend", user_id=777)
    fit.release.set()
    await second.settle()
    assert trainer.current.version == 2
    assert trainer.current.ranker.knows_user(user_id)
    await stop_harness(second)


async def restart_with(settings, caplog) -> None:
    harness = await start_harness(settings)
    await harness.settle()
    assert harness.service.trainer.current.version == 1
    assert harness.service.trainer.runs == 1
    await stop_harness(harness)
    path = settings.data_dir / CHECKPOINT_NAME
    assert checkpoint.load(path).version == 1
    assert "training a new model" in caplog.text


async def test_corrupt_checkpoint_is_replaced(make_settings, caplog):
    settings = make_settings()
    settings.data_dir.mkdir(parents=True)
    (settings.data_dir / CHECKPOINT_NAME).write_bytes(b"\x80\x04 not a checkpoint")
    with caplog.at_level(logging.WARNING):
        await restart_with(settings, caplog)
    assert "is unusable" in caplog.text


async def test_truncated_checkpoint_is_replaced(make_settings, caplog):
    settings = make_settings()
    first = await start_harness(settings)
    await first.settle()
    await stop_harness(first)
    path = settings.data_dir / CHECKPOINT_NAME
    path.write_bytes(path.read_bytes()[:100])
    with caplog.at_level(logging.WARNING):
        await restart_with(settings, caplog)


async def test_checkpoint_of_other_model_size_is_replaced(make_settings, caplog):
    first = await start_harness(make_settings(model_embedding_dim=4))
    await first.settle()
    await stop_harness(first)
    with caplog.at_level(logging.WARNING):
        await restart_with(make_settings(model_embedding_dim=6), caplog)
    assert "model settings" in caplog.text


async def test_checkpoint_of_other_database_is_replaced(make_settings, caplog, tmp_path):
    first = await start_harness(make_settings())
    for movie in (101, 102, 103):
        await first.send(f"/rate {movie} 4", user_id=555)
    await first.settle()
    await stop_harness(first)
    (tmp_path / "data" / "bot.sqlite3").unlink()
    with caplog.at_level(logging.WARNING):
        await restart_with(make_settings(), caplog)
    assert "belongs to another database" in caplog.text


async def test_checkpoint_contains_no_token(make_settings):
    token = "123456:SECRET-token-value"
    settings = make_settings(telegram_bot_token=token)
    harness = await start_harness(settings)
    await harness.settle()
    await stop_harness(harness)
    data = (settings.data_dir / CHECKPOINT_NAME).read_bytes()
    assert b"SECRET-token-value" not in data
    assert b"123456" not in data


async def test_close_finishes_pending_training_and_saves(make_settings):
    settings = make_settings(train_debounce_seconds=600)
    harness = await start_harness(settings)
    await harness.settle()
    await harness.send("/rate 104 5", user_id=555)
    await stop_harness(harness)
    saved = checkpoint.load(settings.data_dir / CHECKPOINT_NAME)
    assert saved.revision == 2
    assert saved.version == 2


async def test_next_training_warm_starts_from_served_model(bot):
    fit = control(bot)
    served = bot.service.trainer.current.ranker.trained
    await bot.send("/rate 104 5", user_id=555)
    await bot.settle()
    assert fit.previous == [served]
    ranker = bot.service.trainer.current.ranker
    assert ranker.knows_user(bot.service.store.user_for_telegram(555))


async def test_restart_warm_starts_from_checkpoint(make_settings):
    settings = make_settings()
    first = await start_harness(settings)
    await first.settle()
    await stop_harness(first)

    second = await start_harness(settings)
    fit = control(second)
    loaded = second.service.trainer.current.ranker.trained
    await second.send("/rate 104 5", user_id=555)
    await second.settle()
    assert fit.previous == [loaded]
    await stop_harness(second)
