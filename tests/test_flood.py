"""Flood control: the per-user command limit and the Bot API rate limiter."""

from telegram.ext import AIORateLimiter

from bot.config import Settings
from bot.flood import FLOOD_GUARD_KEY, FloodGuard
from tests.conftest import start_harness, stop_harness

NOTICE = "You are sending commands too fast"


class FakeClock:
    """A clock the test moves by hand, so no result depends on how fast the machine is."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def freeze_guard(harness, limit: int = 5) -> FakeClock:
    clock = FakeClock()
    guard = harness.application.bot_data[FLOOD_GUARD_KEY]
    guard.clock = clock
    guard.limit = limit
    return clock


def test_default_limit_allows_three_per_second():
    settings = Settings(_env_file=None)
    assert settings.flood_limit_commands / settings.flood_limit_seconds >= 3


def test_guard_admits_up_to_limit():
    clock = FakeClock()
    guard = FloodGuard(3, 1.0, clock)
    assert [guard.admit(7) for _ in range(4)] == [True, True, True, False]
    assert guard.admit(8)
    clock.now += 1.0
    assert guard.admit(7)


def test_guard_notifies_once_per_window():
    clock = FakeClock()
    guard = FloodGuard(1, 2.0, clock)
    assert guard.should_notify(7)
    assert not guard.should_notify(7)
    clock.now += 2.0
    assert guard.should_notify(7)


async def test_burst_drops_commands_over_limit(bot):
    clock = freeze_guard(bot)
    ratings = [1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5]
    replies = []
    for rating in ratings:
        replies.extend(await bot.send(f"/rate 102 {rating}", user_id=555))
    assert len(replies) == 6
    assert all(reply.startswith("Saved:") for reply in replies[:5])
    assert replies[5].startswith(NOTICE)
    user_id = bot.service.store.user_for_telegram(555)
    assert bot.service.store.user_ratings(user_id) == {102: 3.0}

    assert await bot.send("/rate 102 4", user_id=777) != []
    clock.now += 1.0
    assert (await bot.reply("/rate 102 4", user_id=555)).startswith("Saved:")
    assert bot.service.store.user_ratings(user_id) == {102: 4.0}
    await bot.settle()


async def test_group_chatter_is_not_counted(bot):
    freeze_guard(bot)
    group = {"chat_id": -100, "chat_type": "group"}
    for _ in range(10):
        await bot.send("hello everyone", user_id=555, **group)
    assert (await bot.reply("/start", user_id=555, **group)).startswith("Welcome!")


async def test_flood_limit_from_settings(make_settings):
    harness = await start_harness(make_settings(flood_limit_commands=2, flood_limit_seconds=5))
    freeze_guard(harness, limit=2)
    replies = [await harness.reply("/start") for _ in range(3)]
    assert replies[2].startswith(NOTICE)
    assert await harness.send("/start") == []
    await stop_harness(harness)


async def test_rate_limiter_from_settings(make_settings):
    settings = make_settings(
        rate_limit_overall_per_second=10,
        rate_limit_group_per_minute=5,
        rate_limit_max_retries=2,
    )
    harness = await start_harness(settings)
    limiter = harness.application.bot.rate_limiter
    assert isinstance(limiter, AIORateLimiter)
    assert limiter._base_limiter.max_rate == 10
    assert limiter._group_max_rate == 5
    assert limiter._max_retries == 2
    await stop_harness(harness)
