"""Commands through the real Application, on real update JSON, with the local Bot API."""

import asyncio
import logging
import re
import threading

import pytest
from telegram import Update
from telegram.error import BadRequest, InvalidToken

from bot import service as service_module
from bot.replies import RATE_USAGE, RECOMMEND_USAGE
from bot.trainer import fit_snapshot
from bot.updates import message_update
from recommender import foldin
from tests.conftest import start_harness, stop_harness

LINE = re.compile(
    r"(\d+)\. Movie #(\d+) [^\n]*?: ([01]\.\d{3})(?: \(predicted [\d.]+\))?"
    r"( \(you rated [\d.]+\))?( \(.+\))?"
)
BOT_NAME = "MovieRecommenderBot"


def ranked_lines(reply: str) -> list[re.Match]:
    return [match for line in reply.splitlines() if (match := LINE.fullmatch(line))]


async def test_start_registers_after_demo_users(bot):
    assert "You are user #6." in await bot.reply("/start", user_id=555)
    again = await bot.reply("/start", user_id=555)
    assert again.startswith("Welcome back!")
    assert "user #6." in again
    assert "user #7." in await bot.reply("/start", user_id=777)


async def test_help_lists_commands_with_examples(bot):
    text = await bot.reply("/help")
    for command in ("/rate", "/recommend", "/recommend all", "/start", "/help"):
        assert command in text
    assert "/rate 102 4.5" in text
    assert "from 1 to 5 in steps of 0.5" in text


async def test_rate_is_stored_before_training(bot):
    reply = await bot.reply("/rate 102 5", user_id=555)
    assert reply.startswith("Saved: movie #102 Demo movie 102 rated 5.")
    user_id = bot.service.store.user_for_telegram(555)
    assert bot.service.store.user_ratings(user_id) == {102: 5.0}
    await bot.settle()


async def test_rerate_says_previous_value(bot):
    await bot.send("/rate 102 2", user_id=555)
    assert "(was 2)" in await bot.reply("/rate 102 4.5", user_id=555)
    await bot.settle()


async def test_rate_accepts_decimal_comma(bot):
    assert "rated 3.5" in await bot.reply("/rate 101 3,5", user_id=555)
    await bot.settle()


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        ("102", "Missing the rating."),
        ("102 5 7", "Rating 7 is outside the scale 1 to 5."),
        ("102 5 4", "No movie title contains '102 5'."),
        ("abc 5", "No movie title contains 'abc'."),
        ("-102 5", "No movie title contains '-102'."),
        ("١٠٢ 5", "No movie title contains '١٠٢'."),
        ("999 5", "Movie #999 is not in the catalogue."),
        ("99999999999999999999999 5", "Movie #9999999999999999999… is not in the catalogue."),
        ("102 0", "Rating 0 is outside the scale 1 to 5."),
        ("102 -1", "Rating -1 is outside the scale 1 to 5."),
        ("102 6", "Rating 6 is outside the scale 1 to 5."),
        ("102 4.3", "Rating 4.3 is not a multiple of 0.5."),
        ("102 nan", "Rating must be a finite number, got 'nan'."),
        ("102 inf", "Rating must be a finite number, got 'inf'."),
        ("102 -Infinity", "Rating must be a finite number"),
        ("102 five", "Rating must be a number like 4 or 4.5, got 'five'."),
        ("102 1e0", "Rating must be a number like 4 or 4.5"),
        ("102 ٥", "Rating must be a number like 4 or 4.5"),
        ("102 " + "9" * 400, "Rating is outside the scale 1 to 5."),
        ("102 55", "Rating 55 is outside the scale 1 to 5."),
    ],
)
async def test_rate_rejects_bad_input(bot, arguments, reason):
    reply = await bot.reply(f"/rate {arguments}".strip(), user_id=555)
    assert reply.startswith(reason)
    assert reply.endswith(RATE_USAGE)
    assert len(reply) < 200
    user_id = bot.service.store.user_for_telegram(555)
    assert bot.service.store.user_ratings(user_id) == {}
    assert bot.service.store.revision() == 1


async def test_rate_error_hides_control_characters(bot):
    reply = await bot.reply("/rate \x07\x1b 5", user_id=555)
    assert "\x07" not in reply
    assert "\x1b" not in reply


async def test_recommend_without_ratings_ranks_by_average(bot):
    reply = await bot.reply("/recommend", user_id=555)
    assert reply.startswith("You have not rated any movie yet")
    lines = ranked_lines(reply)
    assert len(lines) == 4
    scores = [float(line[3]) for line in lines]
    assert scores == sorted(scores, reverse=True)


async def test_recommend_ranks_unrated_movies(bot):
    await bot.send("/rate 102 5", user_id=555)
    reply = await bot.reply("/recommend", user_id=555)
    lines = ranked_lines(reply)
    assert [int(line[1]) for line in lines] == list(range(1, 4))
    assert sorted(int(line[2]) for line in lines) == [101, 103, 104]
    scores = [float(line[3]) for line in lines]
    assert scores == sorted(scores, reverse=True)
    assert "Still learning" not in reply


async def test_recommend_all_marks_rated_movies(bot):
    await bot.send("/rate 102 5", user_id=555)
    lines = ranked_lines(await bot.reply("/recommend all", user_id=555))
    assert sorted(int(line[2]) for line in lines) == [101, 102, 103, 104]
    marked = {int(line[2]): line[4] for line in lines}
    assert marked[102] == " (you rated 5)"
    assert all(marked[movie] is None for movie in (101, 103, 104))


async def test_recommend_respects_limit(make_settings):
    harness = await start_harness(make_settings(recommend_limit=2))
    reply = await harness.reply("/recommend all")
    assert len(ranked_lines(reply)) == 2
    assert "Showing the top 2 of 4 movies." in reply
    await stop_harness(harness)


async def test_help_example_fits_custom_scale(make_settings):
    harness = await start_harness(make_settings(rating_min=0, rating_max=10, rating_step=1))
    text = await harness.reply("/help")
    assert "from 0 to 10 in steps of 1" in text
    assert "/rate 102 9" in text
    await stop_harness(harness)


async def test_movie_nobody_rated_is_labelled(make_settings):
    harness = await start_harness(make_settings(load_demo_data=False))
    await harness.send("/rate 101 4", user_id=555)
    await harness.send("/rate 102 2", user_id=555)
    await harness.send("/rate 103 5", user_id=555)
    reply = await harness.reply("/recommend all", user_id=555)
    assert reply.startswith("All movies for you")
    line = next(line for line in reply.splitlines() if "Movie #104 " in line)
    assert line.endswith("Demo movie 104: 0.300 (no ratings yet)")
    await stop_harness(harness)


async def test_recommend_after_every_movie_rated(bot):
    for movie in (101, 102, 103, 104):
        await bot.send(f"/rate {movie} 3", user_id=555)
    assert "rated every movie" in await bot.reply("/recommend", user_id=555)


@pytest.mark.parametrize("arguments", ["everything", "all please"])
async def test_recommend_rejects_unknown_option(bot, arguments):
    reply = await bot.reply(f"/recommend {arguments}")
    assert reply.endswith(RECOMMEND_USAGE)


async def test_recommend_genre_without_genres_says_so(bot):
    reply = await bot.reply("/recommend comedy")
    assert reply.startswith("This catalogue has no genres, so 'comedy' is not one.")
    assert reply.endswith(RECOMMEND_USAGE)
    several = await bot.reply("/recommend all please")
    assert several.startswith("Unknown option 'all please'.")


async def test_recommend_uses_model_that_learned_rating(bot):
    await bot.send("/rate 104 5", user_id=555)
    await bot.settle()
    reply = await bot.reply("/recommend all", user_id=555)
    user_id = bot.service.store.user_for_telegram(555)
    current = bot.service.trainer.current
    assert current.revision == bot.service.store.user_revision(user_id)
    assert current.ranker.knows_user(user_id)
    assert reply.startswith("All movies for you")
    assert "Still learning" not in reply


async def test_recommend_reflects_rating_before_retrain(bot):
    held = await hold_training(bot)
    await bot.send("/rate 104 5", user_id=555)
    reply = await bot.reply("/recommend all", user_id=555)
    assert not held.release.is_set()
    assert reply.startswith("All movies for you")
    assert "previous model" not in reply
    assert "(you rated 5)" in reply
    held.release.set()


async def test_opposite_tastes_get_opposite_tops(bot):
    for movie, rating in ((101, 5), (102, 5), (103, 1), (104, 1)):
        await bot.send(f"/rate {movie} {rating}", user_id=1001)
    for movie, rating in ((101, 1), (102, 1), (103, 5), (104, 5)):
        await bot.send(f"/rate {movie} {rating}", user_id=1002)
    first = ranked_lines(await bot.reply("/recommend all", user_id=1001))
    second = ranked_lines(await bot.reply("/recommend all", user_id=1002))
    assert int(first[0][2]) in (101, 102)
    assert int(second[0][2]) in (103, 104)


class HeldFit:
    """Real training that waits for ``release`` first."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Event()

    def __call__(self, *args, **kwargs):
        self.entered.set()
        self.release.wait(timeout=30)
        return fit_snapshot(*args, **kwargs)


async def hold_training(harness) -> HeldFit:
    held = HeldFit()
    harness.service.trainer._fit = held
    return held


async def test_recommend_past_wait_says_model_is_stale(make_settings):
    harness = await start_harness(make_settings(recommend_wait_seconds=0.05))
    await harness.settle()
    held = await hold_training(harness)

    harness.service.request_fold_in = lambda user_id, revision: None
    await harness.send("/rate 104 5", user_id=555)
    reply = await harness.reply("/recommend", user_id=555)
    assert "Still learning" in reply
    assert "not learned your ratings yet" in reply
    typing = [call for call in harness.api.calls if call.method == "sendChatAction"]
    assert typing[-1].parameters["action"] == "typing"
    held.release.set()
    await harness.settle()
    assert "Still learning" not in await harness.reply("/recommend", user_id=555)
    await stop_harness(harness)


async def test_other_users_answered_during_training(bot):
    held = await hold_training(bot)
    await bot.send("/rate 104 5", user_id=555)
    await asyncio.to_thread(held.entered.wait, 30)
    processor = bot.application.update_processor

    async def through_processor(text, user_id):
        update = Update.de_json(message_update(text, user_id=user_id), bot.application.bot)
        await processor.process_update(update, bot.application.process_update(update))

    waiting = asyncio.create_task(through_processor("/recommend", 555))
    await through_processor("/start", 777)
    assert "You are user #7." in bot.api.sent_texts()[-1]
    assert not waiting.done()
    held.release.set()
    await waiting
    assert bot.api.sent_texts()[-1].startswith("Your top picks:")


async def test_group_members_are_separate_users(bot):
    group = {"chat_id": -100, "chat_type": "supergroup"}
    await bot.send(f"/rate@{BOT_NAME} 102 5", user_id=555, **group)
    await bot.send(f"/rate@{BOT_NAME} 103 2", user_id=777, **group)
    store = bot.service.store
    assert store.user_ratings(store.user_for_telegram(555)) == {102: 5.0}
    assert store.user_ratings(store.user_for_telegram(777)) == {103: 2.0}
    reply = await bot.reply(f"/recommend@{BOT_NAME}", user_id=777, **group)
    assert len(ranked_lines(reply)) == 3
    sent = bot.api.calls[-1].parameters
    assert sent["chat_id"] == -100


async def test_group_ignores_other_bots_and_chatter(bot):
    group = {"chat_id": -100, "chat_type": "group"}
    assert await bot.send("/rate@OtherBot 102 5", user_id=555, **group) == []
    assert await bot.send("/unknown", user_id=555, **group) == []
    assert await bot.send("hello everyone", user_id=555, **group) == []
    assert bot.service.store.user_for_telegram(555) is None


async def test_private_chat_points_to_help(bot):
    assert "/help" in await bot.reply("/unknown")
    assert "/help" in await bot.reply("hello")


async def test_edited_command_is_ignored(bot):
    data = message_update("/rate 102 5", user_id=555)
    data["edited_message"] = data.pop("message")
    data["edited_message"]["edit_date"] = data["edited_message"]["date"]
    assert await bot.process(data) == []
    assert bot.service.store.user_for_telegram(555) is None


async def test_channel_post_creates_no_user(bot):
    data = message_update("/rate 102 5", chat_id=-200, chat_type="channel")
    message = data.pop("message")
    del message["from"]
    message["sender_chat"] = message["chat"]
    data["channel_post"] = message
    assert await bot.process(data) == []
    assert bot.service.store.revision() == 1


async def test_anonymous_admin_is_asked_for_personal_account(bot):
    data = message_update("/rate 102 5", user_id=1087968824, chat_id=-100, chat_type="supergroup")
    data["message"]["from"].update(is_bot=True, first_name="Group", username="GroupAnonymousBot")
    data["message"]["sender_chat"] = {"id": -100, "type": "supergroup", "title": "Group"}
    assert "personal Telegram account" in await bot.reply_to(data)
    assert bot.service.store.user_for_telegram(1087968824) is None
    assert bot.service.store.revision() == 1


async def test_rejected_request_is_logged_in_one_line(bot, monkeypatch, caplog):
    async def rejected_request(*args, **kwargs):
        raise BadRequest("Message is too long")

    monkeypatch.setattr(bot.service, "recommend", rejected_request)
    reply = await bot.reply("/recommend", user_id=555)
    assert reply.startswith("Sorry, something went wrong")
    assert "the Bot API rejected a request: Message is too long" in caplog.text
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert all(record.exc_info is None for record in errors)


async def test_rejected_token_sends_no_apology(bot, monkeypatch, caplog):
    async def revoked(*args, **kwargs):
        raise InvalidToken("Unauthorized")

    monkeypatch.setattr(bot.service, "recommend", revoked)
    assert await bot.send("/recommend", user_id=555) == []
    assert "the Bot API rejected the token" in caplog.text


async def test_unexpected_error_is_logged_and_apologised(bot, monkeypatch, caplog):
    async def broken(*args, **kwargs):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(bot.service, "recommend", broken)
    reply = await bot.reply("/recommend", user_id=555)
    assert reply.startswith("Sorry, something went wrong")
    assert "error while handling update" in caplog.text
    assert "user 555" in caplog.text


async def test_rate_accepts_leading_zeros_and_snaps(bot):
    reply = await bot.reply("/rate 000000000000000000102 4.4999999999", user_id=555)
    assert reply.startswith("Saved: movie #102")
    assert "rated 4.5." in reply
    user_id = bot.service.store.user_for_telegram(555)
    assert bot.service.store.user_ratings(user_id) == {102: 4.5}
    await bot.settle()


async def test_burst_from_one_user_does_not_block_others(make_settings):
    harness = await start_harness(make_settings(recommend_wait_seconds=30))
    await harness.settle()
    held = await hold_training(harness)
    application = harness.application
    await harness.send("/rate 104 5", user_id=555)

    def through_processor(text, user_id):
        update = Update.de_json(message_update(text, user_id=user_id), application.bot)
        return asyncio.create_task(
            application.update_processor.process_update(update, application.process_update(update))
        )

    # The first command waits for the held training; the rest queue behind it. More than
    # the 256 running slots, so a burst that held slots while queued would block user 777.
    burst = [through_processor("/recommend", 555)]
    burst += [through_processor("/start", 555) for _ in range(299)]
    await asyncio.wait_for(through_processor("/start", 777), timeout=20)
    assert "You are user #7." in harness.api.sent_texts()[-1]
    assert not any(task.done() for task in burst)
    held.release.set()
    await asyncio.wait_for(asyncio.gather(*burst), timeout=60)
    await stop_harness(harness)


async def test_demo_ratings_follow_custom_scale(make_settings):
    harness = await start_harness(make_settings(rating_min=1, rating_max=3, rating_step=1))
    ratings = harness.service.store.snapshot().ratings["rating"]
    assert set(ratings) <= {1.0, 2.0, 3.0}
    for line in ranked_lines(await harness.reply("/recommend all")):
        assert 0.0 <= float(line[3]) <= 1.0
    await stop_harness(harness)


async def test_blocked_user_is_not_retried(bot, caplog):
    caplog.set_level(logging.INFO)
    bot.api.blocked_chats.add(555)
    calls_before = len(bot.api.calls)
    await bot.send("/start", user_id=555)
    sent = [call for call in bot.api.calls[calls_before:] if call.method == "sendMessage"]
    assert len(sent) == 1
    assert "cannot be reached" in caplog.text
    assert "error while handling update" not in caplog.text


async def test_burst_of_ratings_is_folded_in_batches(bot):
    await bot.send("/rate 104 5", user_id=500)
    await bot.settle()
    ranker = bot.service.trainer.current.ranker
    batches = []
    fold_in_many = ranker.fold_in_many

    def counting(ratings):
        batches.append(len(ratings))
        return fold_in_many(ratings)

    ranker.fold_in_many = counting
    hold = await hold_training(bot)
    users = [bot.service.store.register(telegram_id)[0] for telegram_id in range(600, 620)]
    writes = await asyncio.gather(*(bot.service.rate(user, 103, 4.0) for user in users))
    for user, written in zip(users, writes, strict=True):
        await bot.service._wait_fold_in(user, 10)
        assert bot.service._reflects(user, written.revision)
    assert sum(batches) == len(users)
    assert len(batches) < len(users)
    hold.release.set()
    await bot.settle()


async def test_swap_refolds_users_who_rated_late(bot):
    await bot.send("/rate 104 5", user_id=555)
    await bot.settle()
    user_id = bot.service.store.user_for_telegram(555)
    hold = await hold_training(bot)
    await bot.service.rate(user_id, 103, 1.0)
    await asyncio.to_thread(hold.entered.wait, 10)
    late = await bot.service.rate(user_id, 102, 5.0)
    await bot.service.fold_in(user_id, late.revision)
    old_ranker = bot.service.trainer.current.ranker
    hold.release.set()
    await bot.service.trainer.wait_for(late.revision - 1, 30, flush=False)
    assert bot.service.trainer.current.ranker is not old_ranker
    await bot.service._wait_fold_in(user_id, 10)
    assert bot.service._reflects(user_id, late.revision)
    await bot.settle()


async def test_recommend_leaves_the_debounce_running(make_settings):
    harness = await start_harness(make_settings(train_debounce_seconds=60))
    await harness.settle()
    runs = harness.service.trainer.runs
    await harness.send("/rate 104 5", user_id=555)
    reply = await harness.reply("/recommend", user_id=555)
    assert reply.startswith("Your top picks")
    status = harness.service.trainer.status()
    assert status.pending and not status.running
    assert harness.service.trainer.runs == runs
    await stop_harness(harness)


def test_fold_in_warm_up_runs():
    foldin.warm_up()


def test_fold_in_parts_respect_the_rating_limit():
    ratings = {1: {101: 5.0, 102: 4.0}, 2: {103: 1.0}, 3: {101: 2.0, 102: 2.0, 103: 2.0}, 4: {}}
    parts = service_module._parts(ratings, 3)
    assert parts == [{1: ratings[1], 2: ratings[2]}, {3: ratings[3], 4: {}}]
    assert service_module._parts({5: {101: 1.0, 102: 1.0}}, 1) == [{5: {101: 1.0, 102: 1.0}}]
    assert service_module._parts({}, 3) == []


async def test_recommend_after_unrate_waits_for_the_fold_in(make_settings):
    harness = await start_harness(make_settings(train_debounce_seconds=60))
    await harness.settle()
    await harness.send("/rate 104 5", user_id=555)
    await harness.send("/rate 101 1", user_id=555)
    user_id = harness.service.store.user_for_telegram(555)
    await harness.service._wait_fold_in(user_id, 10)
    assert await harness.service.unrate(user_id, 104)
    assert await harness.service.training_pending(user_id)
    assert await harness.service.wait_for_model(user_id)
    assert not await harness.service.training_pending(user_id)
    await stop_harness(harness)
