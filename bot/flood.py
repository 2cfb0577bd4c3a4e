"""Flood control: a per-user command counter and python-telegram-bot's rate limiter."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from telegram.ext import AIORateLimiter

from bot.config import Settings

__all__ = ["FLOOD_GUARD_KEY", "FloodGuard", "build_rate_limiter"]

FLOOD_GUARD_KEY = "flood_guard"
# Users tracked before idle ones are pruned; a bound on memory, not on who may write.
MAX_TRACKED_USERS = 10_000


class FloodGuard:
    """A sliding-window counter of each Telegram user's commands."""

    def __init__(
        self,
        limit: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.clock = clock
        self._times: dict[int, deque[float]] = {}
        self._notified_until: dict[int, float] = {}

    def admit(self, telegram_id: int) -> bool:
        """Count one command; return false if it is over the user's limit."""
        now = self.clock()
        times = self._times.get(telegram_id)
        if times is None:
            if len(self._times) >= MAX_TRACKED_USERS:
                self._prune(now)
            times = self._times[telegram_id] = deque()
        while times and times[0] <= now - self.window_seconds:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        return True

    def should_notify(self, telegram_id: int) -> bool:
        """Return true once per window for a user whose commands are being dropped."""
        now = self.clock()
        if self._notified_until.get(telegram_id, float("-inf")) > now:
            return False
        self._notified_until[telegram_id] = now + self.window_seconds
        return True

    def _prune(self, now: float) -> None:
        cutoff = now - self.window_seconds
        for telegram_id in [user for user, times in self._times.items() if times[-1] <= cutoff]:
            del self._times[telegram_id]
        for telegram_id in [user for user, until in self._notified_until.items() if until <= now]:
            del self._notified_until[telegram_id]


def build_rate_limiter(settings: Settings) -> AIORateLimiter:
    """Build the Bot API rate limiter from the ``RATE_LIMIT_*`` settings."""
    return AIORateLimiter(
        overall_max_rate=settings.rate_limit_overall_per_second,
        overall_time_period=1,
        group_max_rate=settings.rate_limit_group_per_minute,
        group_time_period=60,
        max_retries=settings.rate_limit_max_retries,
    )
