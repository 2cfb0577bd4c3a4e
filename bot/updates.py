"""Telegram update JSON built locally, for the console chat and tests."""

from __future__ import annotations

import itertools
import time
from typing import Any

__all__ = ["callback_query_update", "command_entities", "message_update"]

_update_ids = itertools.count(1)


def command_entities(text: str) -> list[dict[str, Any]]:
    """Return the ``bot_command`` entity Telegram attaches to a leading ``/command``."""
    if not text.startswith("/"):
        return []
    length = len(text.split(maxsplit=1)[0])
    # Telegram counts entity offsets and lengths in UTF-16 code units.
    utf16_length = len(text[:length].encode("utf-16-le")) // 2
    return [{"type": "bot_command", "offset": 0, "length": utf16_length}]


def _sender(user_id: int, first_name: str, language_code: str | None) -> dict[str, Any]:
    sender: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code is not None:
        sender["language_code"] = language_code
    return sender


def message_update(
    text: str,
    *,
    user_id: int = 1,
    first_name: str = "Local",
    chat_id: int | None = None,
    chat_type: str = "private",
    language_code: str | None = "en",
    update_id: int | None = None,
) -> dict[str, Any]:
    """Build the JSON of a text message from a user, as ``getUpdates`` returns it."""
    update_id = next(_update_ids) if update_id is None else update_id
    sender = _sender(user_id, first_name, language_code)
    chat: dict[str, Any] = {"id": user_id if chat_id is None else chat_id, "type": chat_type}
    if chat_type == "private":
        chat["first_name"] = first_name
    else:
        chat["title"] = "Local group"
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": chat,
        "from": sender,
        "text": text,
    }
    entities = command_entities(text)
    if entities:
        message["entities"] = entities
    return {"update_id": update_id, "message": message}


def callback_query_update(
    data: str,
    message: dict[str, Any],
    *,
    user_id: int = 1,
    first_name: str = "Local",
    language_code: str | None = "en",
    update_id: int | None = None,
) -> dict[str, Any]:
    """Build the JSON of a press on an inline button of ``message``, a bot's message."""
    update_id = next(_update_ids) if update_id is None else update_id
    sender = _sender(user_id, first_name, language_code)
    query = {
        "id": str(update_id),
        "from": sender,
        "chat_instance": str(message["chat"]["id"]),
        "data": data,
        "message": message,
    }
    return {"update_id": update_id, "callback_query": query}
