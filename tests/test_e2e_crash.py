"""Nothing acknowledged is lost: 50 users rate at once and the process gets SIGKILL.

After a restart on the same ``DATA_DIR`` every acknowledged rating is in the database, each
Telegram user keeps their user number, and the bot answers again.
"""

from __future__ import annotations

import random
import re
import sqlite3
from collections.abc import Iterator

import pytest

from bot.app import DATABASE_NAME
from tests.bot_process import TOKEN, BotProcess, bot_environment
from tests.loopback_api import LoopbackBotApi

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

USERS = 50
RATINGS_PER_USER = 8
FIRST_TELEGRAM_ID = 9000
MOVIES = (101, 102, 103, 104)
SAVED = re.compile(r"Saved: movie #(\d+)\b.*? rated (\d+(?:\.\d+)?)")
USER_NUMBER = re.compile(r"You are user #(\d+)\.")


@pytest.fixture
def api() -> Iterator[LoopbackBotApi]:
    server = LoopbackBotApi(TOKEN).start()
    yield server
    server.stop()


def planned_ratings(telegram_id: int) -> list[tuple[int, float]]:
    """Return the (movie, rating) pairs one user sends, in order."""
    return [
        (MOVIES[(telegram_id + step) % len(MOVIES)], 1 + ((telegram_id + 3 * step) % 9) / 2)
        for step in range(RATINGS_PER_USER)
    ]


def acknowledged(api: LoopbackBotApi, telegram_id: int) -> list[tuple[int, float]]:
    return [
        (int(match[1]), float(match[2]))
        for text in api.replies_to(telegram_id)
        if (match := SAVED.match(text))
    ]


def stored(data_dir) -> tuple[dict[int, int], dict[tuple[int, int], float]]:
    """Read the Telegram-to-user mapping and every rating of chat users."""
    connection = sqlite3.connect(data_dir / DATABASE_NAME)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        users = dict(
            connection.execute("SELECT telegram_id, user_id FROM users WHERE source = 'chat'")
        )
        ratings = {
            (int(user), int(movie)): float(rating)
            for user, movie, rating in connection.execute(
                "SELECT u.telegram_id, r.movie_id, r.rating FROM ratings r "
                "JOIN users u USING (user_id) WHERE u.source = 'chat'"
            )
        }
    finally:
        connection.close()
    return users, ratings


def test_sigkill_loses_no_acknowledged_rating(api, tmp_path):
    data_dir = tmp_path / "data"
    environment = bot_environment(api, data_dir, LOG_LEVEL="INFO")
    telegram_ids = range(FIRST_TELEGRAM_ID, FIRST_TELEGRAM_ID + USERS)
    seed = random.randrange(2**32)
    moment = random.Random(seed).uniform(0.1, 0.9)

    first = BotProcess(environment, tmp_path)
    try:
        api.wait_for_call("getUpdates", timeout=90)
        for telegram_id in telegram_ids:
            api.send("/start", user_id=telegram_id)
        numbers = {}
        for telegram_id in telegram_ids:
            (welcome,) = api.wait_for_replies(telegram_id, 1)
            numbers[telegram_id] = int(USER_NUMBER.search(welcome)[1])

        for step in range(RATINGS_PER_USER):
            for telegram_id in telegram_ids:
                movie, rating = planned_ratings(telegram_id)[step]
                api.send(f"/rate {movie} {rating:g}", user_id=telegram_id)
        total = USERS * RATINGS_PER_USER
        api.wait_for(lambda: len(api.answered("sendMessage")) >= USERS + int(moment * total))
    finally:
        first.kill()

    acks = {telegram_id: acknowledged(api, telegram_id) for telegram_id in telegram_ids}
    assert sum(map(len, acks.values())) > 0, f"seed {seed}"

    second = BotProcess(environment, tmp_path)
    try:
        for telegram_id in telegram_ids:
            reply = api.ask("/start", user_id=telegram_id)
            assert reply.startswith("Welcome back!"), f"seed {seed}: {reply!r}"
            assert int(USER_NUMBER.search(reply)[1]) == numbers[telegram_id], f"seed {seed}"
    finally:
        assert second.stop() == 0

    users, ratings = stored(data_dir)
    assert {telegram_id: users[telegram_id] for telegram_id in telegram_ids} == numbers
    for telegram_id in telegram_ids:
        plan = planned_ratings(telegram_id)
        done = len(acks[telegram_id])
        assert acks[telegram_id] == plan[:done], f"seed {seed}: replies out of order"
        for movie in {movie for movie, _ in plan[:done]}:
            # The stored value is the last acknowledged one or, if the restarted bot
            # processed the rest of the user's messages, a later one.
            last_acked = max(step for step in range(done) if plan[step][0] == movie)
            allowed = {rating for m, rating in plan[last_acked:] if m == movie}
            assert ratings[(telegram_id, movie)] in allowed, f"seed {seed}, user {telegram_id}"
