"""Group picks and "because you rated" explanations through the real Application."""

import re

from bot.picks import DISLIKE_SCORE, blend_group_scores

GROUP = {"chat_id": -100, "chat_type": "supergroup"}
BOT_NAME = "MovieRecommenderBot"
LINE = re.compile(r"(\d+)\. Movie #(\d+) [^\n]*?: ([01]\.\d{3})")


def ranked(reply: str) -> list[re.Match]:
    return [match for line in reply.splitlines() if (match := LINE.fullmatch(line))]


def test_blend_puts_dislikes_last():
    liked_by_both = 0.6
    loved_and_disliked = 0.95
    member_scores = [
        {1: liked_by_both, 2: loved_and_disliked, 3: 0.5},
        {1: liked_by_both, 2: DISLIKE_SCORE - 0.05, 3: 0.5},
    ]
    assert [movie for movie, _ in blend_group_scores(member_scores, 10)] == [1, 3, 2]
    assert blend_group_scores(member_scores, 1) == [(1, 0.6)]
    assert blend_group_scores([], 10) == []


async def test_group_picks_for_members_who_rated(bot):
    await bot.send(f"/rate@{BOT_NAME} 101 5", user_id=555, first_name="Alice", **GROUP)
    await bot.send(f"/rate@{BOT_NAME} 102 4", user_id=777, first_name="<Bob & Co>", **GROUP)
    await bot.send(f"/start@{BOT_NAME}", user_id=888, first_name="Carol", **GROUP)
    reply = await bot.reply(f"/recommend@{BOT_NAME} group", user_id=888, **GROUP)
    assert reply.startswith("Picks for Alice, &lt;Bob &amp; Co&gt;, best first:")
    assert "Carol" not in reply
    lines = ranked(reply)
    assert sorted(int(line[2]) for line in lines) == [103, 104]
    scores = [float(line[3]) for line in lines]
    assert scores == sorted(scores, reverse=True)
    assert bot.api.calls[-1].parameters["chat_id"] == -100
    await bot.settle()


async def test_group_members_are_per_chat(bot):
    await bot.send(f"/rate@{BOT_NAME} 101 5", user_id=555, first_name="Alice", **GROUP)
    other = {"chat_id": -200, "chat_type": "group"}
    reply = await bot.reply(f"/recommend@{BOT_NAME} group", user_id=777, **other)
    assert reply.startswith("Nobody in this chat has rated a movie yet.")
    await bot.settle()


async def test_group_picks_need_a_group(bot):
    reply = await bot.reply("/recommend group", user_id=555)
    assert reply.startswith("/recommend group works in group chats")


async def test_forgotten_member_leaves_group(bot):
    await bot.send(f"/rate@{BOT_NAME} 101 5", user_id=555, first_name="Alice", **GROUP)
    await bot.send(f"/rate@{BOT_NAME} 102 4", user_id=777, first_name="Bob", **GROUP)
    bot.service.store.forget_user(555)
    reply = await bot.reply(f"/recommend@{BOT_NAME} group", user_id=777, first_name="Bob", **GROUP)
    assert reply.startswith("Picks for Bob, best first:")
    await bot.settle()


async def test_top_picks_say_why(bot):
    await bot.send("/rate 101 5", user_id=555)
    reply = await bot.reply("/recommend", user_id=555)
    assert "    because you rated Demo movie 101 highly" in reply.splitlines()
    assert "#101" not in reply
    await bot.settle()


async def test_weak_picks_explain_nothing(bot):
    await bot.send("/rate 101 5", user_id=555)
    lines = (await bot.reply("/recommend", user_id=555)).splitlines()
    for line, following in zip(lines, [*lines[1:], ""], strict=True):
        match = LINE.fullmatch(line)
        if match is not None and float(match[3]) < 0.5:
            assert "because" not in following
    await bot.settle()


async def test_picks_predicted_low_explain_nothing(bot):
    await bot.send("/rate 102 5", user_id=555)
    lines = (await bot.reply("/recommend", user_id=555)).splitlines()
    predicted = re.compile(r"\(predicted (\d+(?:\.\d+)?)\)")
    checked = 0
    for line, following in zip(lines, [*lines[1:], ""], strict=True):
        match = predicted.search(line)
        if match is not None and float(match[1]) < 3.0:
            checked += 1
            assert "because" not in following
    assert checked
    await bot.settle()


async def test_low_ratings_explain_nothing(bot):
    await bot.send("/rate 101 1", user_id=555)
    reply = await bot.reply("/recommend", user_id=555)
    assert "because" not in reply
    await bot.settle()


async def test_group_press_counts_member(bot):
    await bot.send(f"/rate@{BOT_NAME}", user_id=555, first_name="Alice", **GROUP)
    await bot.press("r:101:5", user_id=777, first_name="Bob")
    reply = await bot.reply(f"/recommend@{BOT_NAME} group", user_id=777, first_name="Bob", **GROUP)
    assert reply.startswith("Picks for Bob, best first:")
    await bot.settle()
