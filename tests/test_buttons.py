"""Inline buttons through the real Application: /rate pick lists, stars, stale and forged data."""

import re

import pytest

from bot.callbacks import (
    MAX_CALLBACK_BYTES,
    ForgetPress,
    InvalidCallback,
    NextPress,
    PagePress,
    RatePress,
    StarsPress,
    UnseenPress,
    parse_callback,
)
from bot.replies import RATE_USAGE
from tests.conftest import start_harness, stop_harness

INVALID = "This button is not valid."
STALE = "This button is out of date."


def answers(calls) -> list[str | None]:
    return [call.parameters.get("text") for call in calls if call.method == "answerCallbackQuery"]


def edits(calls) -> list[str]:
    return [call.parameters["text"] for call in calls if call.method == "editMessageText"]


def stored(bot, telegram_id: int) -> dict[int, float]:
    user_id = bot.service.store.user_for_telegram(telegram_id)
    return {} if user_id is None else bot.service.store.user_ratings(user_id)


@pytest.mark.parametrize(
    "press",
    [
        RatePress(102, 4.5),
        RatePress(999_999_999_999_999_999, 0.5),
        StarsPress(102),
        UnseenPress(104),
        PagePress(500_000_000),
        ForgetPress(9_223_372_036_854_775_807, confirm=True),
        NextPress(999_999_999, include_rated=False),
    ],
)
def test_callback_data_round_trip(press):
    data = press.data()
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    assert parse_callback(data) == press


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "x:1",
        "r:102",
        "r:102:abc",
        "r:-102:5",
        "r:0102:5",
        "r:102:5:1",
        "s:",
        "s:1e3",
        "m:0",
        "f:12:maybe",
        "r:102:4.5" + " " * 60,
        "s:١٠٢",
    ],
)
def test_callback_data_rejects_forgeries(data):
    with pytest.raises(InvalidCallback):
        parse_callback(data)


async def test_rate_without_arguments_offers_buttons(bot):
    reply = await bot.reply("/rate", user_id=555)
    assert reply.endswith(RATE_USAGE)
    labels = [button["text"] for button in bot.buttons()]
    assert labels[0].startswith("#")
    assert len(labels) == 4
    assert stored(bot, 555) == {}
    assert bot.service.store.revision() == 1


async def test_star_press_stores_and_confirms(bot):
    await bot.send("/rate", user_id=555)
    await bot.press(StarsPress(103).data(), user_id=555)
    assert len(bot.buttons()) == 10
    calls = await bot.press_label("4.5★", user_id=555)
    assert answers(calls) == ["Saved."]
    assert edits(calls)[0].startswith("Saved: movie #103 Demo movie 103 rated 4.5.")
    assert stored(bot, 555) == {103: 4.5}
    labels = [button["text"] for button in bot.buttons()]
    assert all(not label.startswith("#103") for label in labels)
    assert len(labels) == 3
    await bot.settle()


async def test_unseen_press_keeps_movie_out(bot):
    await bot.send("/rate", user_id=555)
    await bot.press(StarsPress(104).data(), user_id=555)
    calls = await bot.press_label("Haven't seen it", user_id=555)
    assert edits(calls)[0].startswith("Noted: #104 Demo movie 104 stays out of your picks.")
    assert stored(bot, 555) == {}
    recommended = await bot.reply("/recommend all", user_id=555)
    assert "#104" not in recommended
    assert "#101" in recommended


async def test_unseen_press_drops_rating(bot):
    await bot.send("/rate 104 2", user_id=555)
    await bot.settle()
    await bot.send("/rate", user_id=555)
    await bot.press(UnseenPress(104).data(), user_id=555)
    assert stored(bot, 555) == {}
    await bot.settle()


FORGED = ["nonsense", "r:102:4.3", "r:102:9", "r:102:0", "x" * 64, "s:-1", "f:0:y"]
STALE_DATA = ["r:999:4", "s:999", "u:999", "m:99"]


async def test_forged_press_gets_clear_answer(bot):
    await bot.send("/rate", user_id=555)
    for data in FORGED:
        calls = await bot.press(data, user_id=555)
        assert len(answers(calls)) == 1, data
        assert answers(calls)[0].startswith(INVALID), data
        assert edits(calls) == [], data
    assert stored(bot, 555) == {}
    assert bot.service.store.revision() == 1


async def test_stale_press_gets_clear_answer(bot):
    await bot.send("/rate", user_id=555)
    for data in STALE_DATA:
        calls = await bot.press(data, user_id=555)
        assert answers(calls)[0].startswith(STALE), data
        assert edits(calls) == [], data
    assert stored(bot, 555) == {}
    assert bot.service.store.revision() == 1


async def test_press_twice_keeps_one_rating(bot):
    await bot.send("/rate", user_id=555)
    await bot.press(StarsPress(102).data(), user_id=555)
    stars = bot.api.last_keyboard()[0]
    await bot.press(RatePress(102, 5).data(), message=stars, user_id=555)
    calls = await bot.press(RatePress(102, 5).data(), message=stars, user_id=555)
    assert answers(calls) == ["Saved."]
    assert stored(bot, 555) == {102: 5.0}
    await bot.settle()


async def test_russian_buttons(bot):
    await bot.send("/rate", user_id=555, language_code="ru")
    await bot.press(StarsPress(102).data(), user_id=555, language_code="ru")
    assert bot.buttons()[-1]["text"] == "Не смотрел(а)"
    calls = await bot.press(RatePress(102, 3).data(), user_id=555, language_code="ru")
    assert answers(calls) == ["Сохранено."]


async def test_group_press_rates_for_presser(bot):
    group = {"chat_id": -100, "chat_type": "supergroup"}
    await bot.send("/rate@MovieRecommenderBot", user_id=555, **group)
    await bot.press(RatePress(101, 4).data(), user_id=777)
    assert stored(bot, 777) == {101: 4.0}
    assert stored(bot, 555) == {}
    await bot.settle()


async def test_recommend_offers_rating_buttons(bot):
    await bot.send("/rate 102 5", user_id=555)
    await bot.send("/recommend", user_id=555)
    labels = [button["text"] for button in bot.buttons()]
    assert len(labels) == 3
    assert all(not label.startswith("#102") for label in labels)
    await bot.press(bot.buttons()[0]["callback_data"], user_id=555)
    assert len(bot.buttons()) == 10
    await bot.settle()


async def test_more_picks_button_pages(make_settings):
    harness = await start_harness(make_settings(recommend_limit=2))
    await harness.settle()
    first = await harness.reply("/recommend all", user_id=555)
    assert re.findall(r"^(\d+)\. Movie #", first, re.MULTILINE) == ["1", "2"]
    assert "Showing the top 2 of 4 movies." in first
    assert harness.buttons()[-1]["text"] == "More picks »"
    calls = await harness.press_label("More picks", user_id=555)
    second = edits(calls)[0]
    assert re.findall(r"^(\d+)\. Movie #", second, re.MULTILINE) == ["3", "4"]
    assert all(button["text"] != "More picks »" for button in harness.buttons())
    first_ids = set(re.findall(r"#(\d+)", first))
    second_ids = set(re.findall(r"#(\d+)", second))
    assert not first_ids & second_ids
    stale = await harness.press(NextPress(10, include_rated=True).data(), user_id=555)
    assert answers(stale)[0].startswith(STALE)
    await stop_harness(harness)


async def test_personal_picks_need_min_ratings(make_settings):
    harness = await start_harness(make_settings(personal_min_ratings=3))
    await harness.send("/rate 101 5", user_id=555)
    reply = await harness.reply("/recommend", user_id=555)
    assert reply.startswith("Rate 2 more movies to unlock personal picks.")
    assert "because" not in reply
    await harness.send("/rate 102 5", user_id=555)
    await harness.send("/rate 103 1", user_id=555)
    assert (await harness.reply("/recommend", user_id=555)).startswith("Your top picks:")
    await stop_harness(harness)


async def test_failing_press_is_answered(bot, monkeypatch, caplog):
    async def broken(*args, **kwargs):
        raise RuntimeError("simulated failure")

    await bot.send("/rate", user_id=555)
    monkeypatch.setattr(bot.service, "rate", broken)
    calls = await bot.press(RatePress(101, 4).data(), user_id=555)
    assert answers(calls)[-1].startswith("Sorry, something went wrong")
    assert "error while handling update" in caplog.text
    assert stored(bot, 555) == {}


async def test_group_press_on_anothers_message_rejected(bot):
    group = {"chat_id": -100, "chat_type": "supergroup"}
    await bot.send("/rate@MovieRecommenderBot", user_id=555, **group)
    message = dict(bot.api.last_keyboard()[0])
    message["chat"] = {"id": -100, "type": "supergroup", "title": "Group"}
    message["reply_to_message"] = {
        "message_id": 1,
        "date": message["date"],
        "chat": message["chat"],
        "from": {"id": 555, "is_bot": False, "first_name": "Owner"},
        "text": "/rate@MovieRecommenderBot",
    }
    calls = await bot.press(RatePress(101, 4).data(), message, user_id=777)
    assert answers(calls) == ["This button belongs to someone else's message."]
    assert edits(calls) == []
    assert stored(bot, 777) == {}
    calls = await bot.press(RatePress(101, 4).data(), message, user_id=555)
    assert stored(bot, 555) == {101: 4.0}
    await bot.settle()


def test_next_press_carries_a_genre():
    press = NextPress(10, include_rated=False, genre="sci-fi")
    assert press.data() == "n:10:u:sci-fi"
    assert parse_callback(press.data()) == press
    assert parse_callback("n:10:a") == NextPress(10, include_rated=True)
    assert NextPress.fits("(no genres listed)")
    assert not NextPress.fits("комедия")
    for data in ("n:10:u:", "n:10:u:Sci-Fi", "n:10:u:" + "x" * 41, "n:10:u:a;b"):
        with pytest.raises(InvalidCallback):
            parse_callback(data)
