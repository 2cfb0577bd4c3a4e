"""Odd but real update shapes, as Telegram sends them, each with the reply it should get.

``expected`` is a text the single reply must contain, or ``None`` when the bot must stay
silent in that chat. Shapes follow the Bot API's Update object: channel posts, anonymous
group admins, edits, membership changes, inline queries, media with captions and forum
topics.
"""

from __future__ import annotations

from typing import Any

from bot.updates import command_entities

BOT_NAME = "MovieRecommenderBot"
NOW = 1_760_000_000


def _user(user_id: int, **fields: Any) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Corpus", **fields}


def _private(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "type": "private", "first_name": "Corpus"}


def _group(chat_id: int, **fields: Any) -> dict[str, Any]:
    return {"id": chat_id, "type": "supergroup", "title": "Corpus group", **fields}


def _message(text: str | None, chat: dict, sender: dict | None, **fields: Any) -> dict:
    message: dict[str, Any] = {"message_id": 1, "date": NOW, "chat": chat, **fields}
    if sender is not None:
        message["from"] = sender
    if text is not None:
        message["text"] = text
        if command_entities(text):
            message["entities"] = command_entities(text)
    return message


def corpus() -> list[tuple[str, dict[str, Any], int | None, str | None]]:
    """Return (name, update without update_id, chat or user it concerns, expected text)."""
    group = _group(-1001)
    anonymous_admin = {"id": 1087968824, "is_bot": True, "first_name": "Group"}
    anonymous_admin["username"] = "GroupAnonymousBot"
    channel = {"id": -1002, "type": "channel", "title": "Corpus channel"}
    return [
        (
            "channel post",
            {"channel_post": _message("/rate 102 5", channel, None, sender_chat=channel)},
            -1002,
            None,
        ),
        (
            "anonymous admin",
            {
                "message": _message(
                    f"/rate@{BOT_NAME} 102 5", group, anonymous_admin, sender_chat=group
                )
            },
            -1001,
            "personal Telegram account",
        ),
        (
            "edited command",
            {
                "edited_message": _message(
                    "/rate 102 5", _private(8101), _user(8101), edit_date=NOW + 5
                )
            },
            8101,
            None,
        ),
        (
            "bot added to group",
            {
                "my_chat_member": {
                    "chat": _group(-1003),
                    "from": _user(8102),
                    "date": NOW,
                    "old_chat_member": {
                        "status": "left",
                        "user": {"id": 1000, "is_bot": True, "first_name": "Bot"},
                    },
                    "new_chat_member": {
                        "status": "member",
                        "user": {"id": 1000, "is_bot": True, "first_name": "Bot"},
                    },
                }
            },
            -1003,
            None,
        ),
        (
            "inline query",
            {
                "inline_query": {
                    "id": "4242",
                    "from": _user(8103),
                    "query": "/rate 102 5",
                    "offset": "",
                }
            },
            8103,
            None,
        ),
        (
            "photo with command caption",
            {
                "message": _message(
                    None,
                    _private(8104),
                    _user(8104),
                    photo=[{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}],
                    caption="/rate 102 5",
                    caption_entities=command_entities("/rate 102 5"),
                )
            },
            8104,
            "/help",
        ),
        (
            "sticker in private chat",
            {
                "message": _message(
                    None,
                    _private(8105),
                    _user(8105),
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
            },
            8105,
            "/help",
        ),
        (
            "forum topic command",
            {
                "message": _message(
                    f"/recommend@{BOT_NAME}",
                    _group(-1004, is_forum=True),
                    _user(8106),
                    message_thread_id=77,
                    is_topic_message=True,
                )
            },
            -1004,
            "#10",
        ),
        (
            "upper-case command",
            {"message": _message("/RATE 103 4", _private(8107), _user(8107))},
            8107,
            "Saved: movie #103",
        ),
        (
            "deep-link start",
            {"message": _message("/start ref-campaign", _private(8108), _user(8108))},
            8108,
            "user #",
        ),
        (
            "zero-width space in rating",
            {"message": _message("/rate 102\u200b 5", _private(8109), _user(8109))},
            8109,
            "Usage: /rate",
        ),
        (
            "no language and long emoji name",
            {
                "message": _message(
                    "/help", _private(8110), _user(8110, first_name="🎬" * 64, last_name="‮x")
                )
            },
            8110,
            "/rate",
        ),
        (
            "stale button press",
            {
                "callback_query": {
                    "id": "cb-1",
                    "from": _user(8111),
                    "chat_instance": "ci",
                    "data": "no-such-button:\x00",
                    "message": _message(
                        "old", _private(8111), {"id": 1000, "is_bot": True, "first_name": "Bot"}
                    ),
                }
            },
            8111,
            None,
        ),
        (
            "message without text in group",
            {
                "message": _message(
                    None, _group(-1005), _user(8112), new_chat_members=[_user(8113)]
                )
            },
            -1005,
            None,
        ),
    ]
