"""Property-based tests: arbitrary input at every command never breaks the bot.

Each example goes through the real Application with the local Bot API. For any input the
bot sends at most one reply, and never the apology for an unexpected error. Every reply is
one of the documented forms, and no invalid rating is ever stored.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.texts import catalogue
from bot.updates import message_update
from tests.conftest import BotHarness, start_harness, stop_harness
from tests.update_corpus import corpus

PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
APOLOGIES = {catalogue(language)["apology"] for language in ("en", "ru")}
# A documented reply starts with the fixed text before the first placeholder of one of the
# catalogue's templates, in any language.
# HTML replies arrive with the template's own text escaped, so both forms count.
TEMPLATE_STARTS = sorted(
    {
        form
        for language in ("en", "ru")
        for template in catalogue(language).values()
        if len(start := template.split("{", 1)[0]) >= 3
        for form in (start, html.escape(start, quote=False))
    }
)
RATE_USAGE = catalogue("en")["rate_usage"]
RECOMMEND_USAGE = catalogue("en")["recommend_usage"]

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


def assert_documented(replies: list[str]) -> None:
    assert len(replies) <= 1, replies
    for reply in replies:
        assert reply not in APOLOGIES
        assert reply.startswith(tuple(TEMPLATE_STARTS)), reply


@PROPERTY_SETTINGS
@given(arguments=arguments)
def test_rate_any_arguments(runner, arguments):
    store = runner.harness.service.store
    revision = store.revision()
    replies = runner.replies(f"/rate {arguments}")
    assert_documented(replies)
    if replies and replies[0].startswith("Saved: movie"):
        assert store.revision() == revision + 1
    else:
        assert store.revision() == revision
    assert_store_valid(runner)


@PROPERTY_SETTINGS
@given(arguments=arguments)
def test_recommend_any_arguments(runner, arguments):
    replies = runner.replies(f"/recommend {arguments}")
    assert len(replies) == 1
    assert_documented(replies)


COMMANDS = ["/start", "/help", "/movies", "/myratings", "/unrate", "/export", "/forget"]


@PROPERTY_SETTINGS
@given(command=st.sampled_from(COMMANDS), arguments=arguments)
def test_every_command_any_arguments(runner, command, arguments):
    store = runner.harness.service.store
    revision = store.revision()
    assert_documented(runner.replies(f"{command} {arguments}"))
    if command != "/unrate":
        assert store.revision() == revision
    assert_store_valid(runner)


@PROPERTY_SETTINGS
@given(text=st.text(max_size=60))
def test_any_private_text(runner, text):
    assert_documented(runner.replies(text))


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
    assert_documented(replies)
    assert_store_valid(runner)


# Any text, and data shaped like this bot's buttons ("r:102:4.5") with odd fields.
button_fields = st.lists(odd_words, min_size=1, max_size=3).map(":".join)
callback_data = st.one_of(
    st.text(max_size=64),
    st.tuples(st.sampled_from(["r", "s", "u", "m", "f"]), button_fields).map(":".join),
    st.tuples(
        st.integers(min_value=-5, max_value=10**20), st.sampled_from(["0", "4.5", "5", "9"])
    ).map(lambda fields: f"r:{fields[0]}:{fields[1]}"),
)


@PROPERTY_SETTINGS
@given(data=callback_data, with_message=st.booleans())
def test_any_button_press(runner, data, with_message):
    update = message_update("x", user_id=4343)
    message = update.pop("message")
    query = {"id": "1", "from": message["from"], "chat_instance": "c", "data": data}
    if with_message:
        query["message"] = message
    update["callback_query"] = query
    assert not APOLOGIES & set(runner.process(update))
    assert_store_valid(runner)


UPDATE_KINDS = ["message", "edited_message", "channel_post", "edited_channel_post"]


@st.composite
def update_shapes(draw) -> dict:
    """Build a message-like update of a random kind, with random text, caption and entity."""
    kind = draw(st.sampled_from(UPDATE_KINDS))
    text = draw(st.one_of(st.none(), arguments.map(lambda words: "/" + words), st.text()))
    update = message_update(text or "", user_id=draw(st.integers(1, 2**40)))
    message = update.pop("message")
    message.pop("entities", None)
    if text is None:
        del message["text"]
        if draw(st.booleans()):
            message["caption"] = draw(st.text(max_size=30))
    elif draw(st.booleans()):
        # A command entity of any length, even past the end of the text.
        length = draw(st.integers(min_value=1, max_value=40))
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    if kind.startswith("edited"):
        message["edit_date"] = message["date"]
    if kind.endswith("channel_post"):
        del message["from"]
        message["chat"] = {"id": -1009, "type": "channel", "title": "Channel"}
        message["sender_chat"] = message["chat"]
    update[kind] = message
    return update


@PROPERTY_SETTINGS
@given(update=update_shapes())
def test_any_update_shape(runner, update):
    assert_documented(runner.process(update))
    assert_store_valid(runner)


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
