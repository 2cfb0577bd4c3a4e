"""Property-based tests: arbitrary input at every command never breaks the bot.

Each example goes through the real Application with the local Bot API. For any input the
bot sends at most one reply, never the apology for an unexpected error, and every reply is
one of the documented forms; no invalid rating is ever stored.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.replies import RATE_USAGE, RECOMMEND_USAGE, apology
from bot.updates import message_update
from tests.conftest import BotHarness, start_harness, stop_harness
from tests.update_corpus import corpus

PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
RANKED_LINE = re.compile(r"\d+\. Movie #\d+: [01]\.\d{3}")

# Text that stresses parsing: Unicode digits, huge numbers, control characters, signs.
odd_words = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.characters(categories=["Nd", "No", "Cc", "Cf", "Zs"]), max_size=12),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["101", "102", "104", "5", "4.5", "4,5", "0.5", "1e3", "-0", "NaN"]),
)
arguments = st.lists(odd_words, max_size=4).map(" ".join)


class Runner:
    """A harness on one event loop that blocking hypothesis examples drive."""

    def __init__(self, loop: asyncio.Runner, harness: BotHarness) -> None:
        self.loop = loop
        self.harness = harness

    def replies(self, text: str, user_id: int = 4242, **fields) -> list[str]:
        return self.loop.run(self.harness.send(text, user_id=user_id, **fields))

    def process(self, data: dict) -> list[str]:
        return self.loop.run(self.harness.process(data))


@pytest.fixture
def runner(make_settings) -> Iterator[Runner]:
    with asyncio.Runner() as loop:
        harness = loop.run(start_harness(make_settings(recommend_wait_seconds=0)))
        loop.run(harness.settle())
        yield Runner(loop, harness)
        loop.run(harness.settle())
        loop.run(stop_harness(harness))


def assert_store_valid(runner: Runner) -> None:
    snapshot = runner.harness.service.store.snapshot()
    scale = snapshot.scale
    for row in snapshot.ratings.itertuples():
        assert row.movie_id in snapshot.movie_ids
        scale.check(row.rating)


def is_recommendation(text: str) -> bool:
    lines = text.splitlines()
    return text.startswith("You have rated every movie") or any(
        RANKED_LINE.fullmatch(line) for line in lines
    )


@PROPERTY_SETTINGS
@given(arguments=arguments)
def test_rate_any_arguments(runner, arguments):
    store = runner.harness.service.store
    revision = store.revision()
    (reply,) = runner.replies(f"/rate {arguments}")
    if reply.startswith("Saved: movie #"):
        assert store.revision() == revision + 1
    else:
        assert reply.endswith(RATE_USAGE), reply
        assert store.revision() == revision
    assert reply != apology()
    assert_store_valid(runner)


@PROPERTY_SETTINGS
@given(arguments=arguments)
def test_recommend_any_arguments(runner, arguments):
    (reply,) = runner.replies(f"/recommend {arguments}")
    assert reply.endswith(RECOMMEND_USAGE) or is_recommendation(reply), reply


@PROPERTY_SETTINGS
@given(command=st.sampled_from(["/start", "/help"]), arguments=arguments)
def test_start_and_help_any_arguments(runner, command, arguments):
    (reply,) = runner.replies(f"{command} {arguments}")
    assert "user #" in reply or "/rate <movie_id> <rating>" in reply, reply


@PROPERTY_SETTINGS
@given(text=st.text(max_size=60))
def test_any_private_text(runner, text):
    replies = runner.replies(text)
    assert len(replies) <= 1
    assert apology() not in replies


@PROPERTY_SETTINGS
@given(
    text=st.text(max_size=40),
    chat_type=st.sampled_from(["private", "group", "supergroup"]),
    user_id=st.integers(min_value=1, max_value=2**40),
    language=st.one_of(st.none(), st.text(max_size=5)),
)
def test_any_sender_and_chat(runner, text, chat_type, user_id, language):
    chat_id = user_id if chat_type == "private" else -100
    replies = runner.replies(
        text, user_id=user_id, chat_id=chat_id, chat_type=chat_type, language_code=language
    )
    assert len(replies) <= 1
    assert apology() not in replies
    assert_store_valid(runner)


callback_data = st.one_of(st.text(max_size=64), st.binary(max_size=64).map(repr))


@PROPERTY_SETTINGS
@given(data=callback_data, with_message=st.booleans())
def test_any_button_press(runner, data, with_message):
    update = message_update("x", user_id=4343)
    message = update.pop("message")
    query = {"id": "1", "from": message["from"], "chat_instance": "c", "data": data}
    if with_message:
        query["message"] = message
    update["callback_query"] = query
    assert apology() not in runner.process(update)


@pytest.mark.parametrize(
    ("name", "update", "chat_id", "expected"), corpus(), ids=[entry[0] for entry in corpus()]
)
def test_corpus_update(runner, name, update, chat_id, expected):
    update = {"update_id": 1, **update}
    replies = runner.process(update)
    if expected is None:
        assert replies == []
    else:
        assert len(replies) == 1, replies
        assert expected in replies[0]
