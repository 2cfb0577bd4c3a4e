"""Updates that are not plain commands: stickers, captions, forum topics, bots, edits."""

from bot.updates import message_update

BOT_NAME = "MovieRecommenderBot"


def without_text(data: dict, **fields) -> dict:
    message = data["message"]
    del message["text"]
    message.pop("entities", None)
    message.update(fields)
    return data


async def test_sticker_gets_pointer_to_help(bot):
    sticker = {
        "file_id": "s",
        "file_unique_id": "s",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    data = without_text(message_update("x", user_id=555), sticker=sticker)
    assert "/help" in await bot.reply_to(data)
    assert bot.service.store.user_for_telegram(555) is None


async def test_caption_command_is_not_run(bot):
    photo = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
    data = without_text(message_update("x", user_id=555), photo=photo, caption="/rate 102 5")
    assert "/help" in await bot.reply_to(data)
    assert bot.service.store.revision() == 1


async def test_group_sticker_is_ignored(bot):
    data = message_update("x", user_id=555, chat_id=-100, chat_type="supergroup")
    data = without_text(
        data,
        sticker={
            "file_id": "s",
            "file_unique_id": "s",
            "type": "regular",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
        },
    )
    assert await bot.process(data) == []


async def test_forum_topic_reply_stays_in_topic(bot):
    data = message_update(
        f"/rate@{BOT_NAME} 102 5", user_id=555, chat_id=-100, chat_type="supergroup"
    )
    data["message"]["chat"]["is_forum"] = True
    data["message"]["message_thread_id"] = 7
    data["message"]["is_topic_message"] = True
    assert (await bot.reply_to(data)).startswith("Saved:")
    assert bot.api.calls[-1].parameters["message_thread_id"] == 7
    await bot.settle()


async def test_bot_sender_creates_no_user(bot):
    data = message_update("/rate 102 5", user_id=4242)
    data["message"]["from"]["is_bot"] = True
    assert "personal Telegram account" in await bot.reply_to(data)
    assert bot.service.store.user_for_telegram(4242) is None


async def test_edited_command_in_group_is_ignored(bot):
    data = message_update(f"/forget@{BOT_NAME}", user_id=555, chat_id=-100, chat_type="group")
    data["edited_message"] = data.pop("message")
    data["edited_message"]["edit_date"] = data["edited_message"]["date"]
    assert await bot.process(data) == []
