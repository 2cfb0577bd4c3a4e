"""The user's own data: /myratings, /unrate, /export and /forget."""

import csv
import io

from bot.callbacks import ForgetPress, UnseenPress
from bot.export import EXPORT_COLUMNS, EXPORT_FILENAME


def answers(calls) -> list[str | None]:
    return [call.parameters.get("text") for call in calls if call.method == "answerCallbackQuery"]


def edits(calls) -> list[str]:
    return [call.parameters["text"] for call in calls if call.method == "editMessageText"]


async def test_myratings_lists_newest_first(bot):
    await bot.send("/rate 101 4", user_id=555)
    await bot.send("/rate 103 2.5", user_id=555)
    reply = await bot.reply("/myratings", user_id=555)
    lines = reply.splitlines()
    assert lines[0] == "Your ratings (2), newest first:"
    assert lines[1] == "#103 Demo movie 103: 2.5"
    assert lines[2] == "#101 Demo movie 101: 4"
    await bot.settle()


async def test_myratings_without_ratings(bot):
    assert await bot.reply("/myratings", user_id=555) == "I store nothing about you yet."
    await bot.send("/start", user_id=555)
    assert "not rated any movie" in await bot.reply("/myratings", user_id=555)


async def test_unrate_removes_rating(bot):
    await bot.send("/rate 101 4", user_id=555)
    assert (
        await bot.reply("/unrate 101", user_id=555)
        == "Removed your rating of #101 Demo movie 101."
    )
    user_id = bot.service.store.user_for_telegram(555)
    assert bot.service.store.user_ratings(user_id) == {}
    assert await bot.reply("/unrate 101", user_id=555) == "You have not rated movie #101."
    await bot.settle()


async def test_unrate_rejects_bad_input(bot):
    for text in ("/unrate abc", "/unrate 1 2"):
        reply = await bot.reply(text, user_id=555)
        assert reply.startswith("Movie ID must be a whole number")
        assert reply.endswith("Usage: /unrate <movie_id>")
    missing = await bot.reply("/unrate", user_id=555)
    assert missing == "Missing the movie ID.\nUsage: /unrate <movie_id>"


async def test_export_sends_csv_with_times(bot):
    await bot.send("/rate 101 4", user_id=555)
    await bot.send("/rate", user_id=555)
    await bot.press(UnseenPress(104).data(), user_id=555)
    await bot.send("/export", user_id=555)
    call = bot.api.calls[-1]
    assert call.method == "sendDocument"
    assert call.parameters["caption"] == "Your ratings and not-seen marks (2)."
    filename, content = call.files["document"]
    assert filename == EXPORT_FILENAME
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert list(rows[0]) == EXPORT_COLUMNS
    by_movie = {row["movie_id"]: row for row in rows}
    assert by_movie["101"]["rating"] == "4"
    assert by_movie["101"]["status"] == "rated"
    assert by_movie["101"]["title"] == "Demo movie 101"
    assert by_movie["104"]["status"] == "not_seen"
    assert by_movie["104"]["rating"] == ""
    assert by_movie["101"]["time_utc"].endswith("+00:00")
    await bot.settle()


async def test_export_without_ratings(bot):
    await bot.send("/start", user_id=555)
    assert "no ratings to export" in await bot.reply("/export", user_id=555)


async def test_forget_asks_then_deletes(bot):
    await bot.send("/rate 101 4", user_id=555)
    await bot.settle()
    old_user = bot.service.store.user_for_telegram(555)
    assert bot.service.trainer.current.ranker.knows_user(old_user)

    prompt = await bot.reply("/forget", user_id=555)
    assert prompt.startswith("Delete all your ratings (1)")
    assert bot.service.store.user_for_telegram(555) == old_user
    calls = await bot.press(ForgetPress(555, confirm=True).data(), user_id=555)
    assert edits(calls)[0].startswith("Deleted your ratings and your user number.")
    assert bot.service.store.user_for_telegram(555) is None

    await bot.settle()
    assert not bot.service.trainer.current.ranker.knows_user(old_user)
    assert f"#{old_user + 1}." in await bot.reply("/start", user_id=555)


async def test_forget_cancel_keeps_ratings(bot):
    await bot.send("/rate 101 4", user_id=555)
    await bot.send("/forget", user_id=555)
    calls = await bot.press(ForgetPress(555, confirm=False).data(), user_id=555)
    assert edits(calls) == ["Kept your ratings."]
    assert bot.service.store.user_for_telegram(555) is not None
    await bot.settle()


async def test_forget_button_of_someone_else(bot):
    group = {"chat_id": -100, "chat_type": "supergroup"}
    await bot.send("/rate@MovieRecommenderBot 101 4", user_id=555, **group)
    await bot.send("/forget@MovieRecommenderBot", user_id=555, **group)
    calls = await bot.press(ForgetPress(555, confirm=True).data(), user_id=777)
    assert answers(calls) == ["This button belongs to someone else's message."]
    assert edits(calls) == []
    assert bot.service.store.user_for_telegram(555) is not None
    await bot.settle()


async def test_forget_button_after_forgetting(bot):
    await bot.send("/rate 101 4", user_id=555)
    await bot.send("/forget", user_id=555)
    prompt = bot.api.last_keyboard()[0]
    await bot.press(ForgetPress(555, confirm=True).data(), message=prompt, user_id=555)
    calls = await bot.press(ForgetPress(555, confirm=True).data(), message=prompt, user_id=555)
    assert edits(calls) == ["I store nothing about you yet."]
    await bot.settle()


async def test_forget_unknown_user(bot):
    assert await bot.reply("/forget", user_id=555) == "I store nothing about you yet."
    assert bot.service.store.user_for_telegram(555) is None


async def test_help_has_privacy_note(bot):
    text = await bot.reply("/help")
    assert "Privacy:" in text
    for command in ("/myratings", "/unrate", "/export", "/forget", "/movies"):
        assert command in text
