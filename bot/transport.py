"""An in-process stand-in for the Telegram Bot API, used by the console chat and tests.

``LocalBotApi`` is a ``telegram.request.BaseRequest``: python-telegram-bot sends it the
same requests it would send over HTTP, and it answers them from memory and records them.
It never opens a connection; a Bot API method it does not implement gets an error
response, so code that needs a new method fails loudly instead of reaching a network.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telegram.request import BaseRequest, RequestData

__all__ = ["ApiCall", "LocalBotApi"]

BOT_USER = {
    "id": 1000,
    "is_bot": True,
    "first_name": "Movie Recommender",
    "username": "MovieRecommenderBot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@dataclass(frozen=True)
class ApiCall:
    """One Bot API request and its result.

    ``parameters`` are decoded JSON values. ``files`` maps each uploaded file's parameter
    name to its file name and content. ``result`` is what the local API returned, and
    ``None`` for an error response.
    """

    method: str
    parameters: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    result: Any = None


class LocalBotApi(BaseRequest):
    """Answer Bot API requests in memory and record every call in ``calls``."""

    def __init__(self, on_call: Callable[[ApiCall], None] | None = None) -> None:
        self.calls: list[ApiCall] = []
        self.on_call = on_call
        # Chats whose user blocked the bot: sending to them fails with 403 Forbidden.
        self.blocked_chats: set[int] = set()
        self._message_ids = itertools.count(1)
        # Every message the bot sent or edited, by (chat ID, message ID).
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    def sent_texts(self) -> list[str]:
        """Return the text of every ``sendMessage`` call so far, oldest first."""
        return [call.parameters["text"] for call in self.calls if call.method == "sendMessage"]

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        parameters = _decode(request_data)
        files = _files(request_data)
        status, body = self._answer(api_method, parameters)
        call = ApiCall(api_method, parameters, files, body.get("result"))
        self.calls.append(call)
        if self.on_call is not None:
            self.on_call(call)
        return status, json.dumps(body).encode()

    def _answer(self, api_method: str, parameters: dict[str, Any]) -> tuple[int, dict]:
        answer = getattr(self, f"_answer_{api_method}", None)
        if parameters.get("chat_id") in self.blocked_chats:
            return 403, _error(403, "Forbidden: bot was blocked by the user")
        if answer is None:
            return 400, _error(400, f"Bad Request: method {api_method} is not implemented")
        try:
            result = answer(parameters)
        except LookupError as error:
            return 400, _error(400, f"Bad Request: {error}")
        return 200, {"ok": True, "result": result}

    def last_keyboard(self) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        """Return the latest message the bot sent or edited and its buttons, if it has any."""
        for call in reversed(self.calls):
            if call.method in ("sendMessage", "editMessageText") and call.result is not None:
                message = call.result
                if not isinstance(message, dict):
                    return None
                rows = message.get("reply_markup", {}).get("inline_keyboard", [])
                buttons = [button for row in rows for button in row]
                return (message, buttons) if buttons else None
        return None

    def _answer_getMe(self, parameters: dict[str, Any]) -> Any:
        return BOT_USER

    def _answer_getUpdates(self, parameters: dict[str, Any]) -> Any:
        return []

    def _new_message(self, parameters: dict[str, Any]) -> dict[str, Any]:
        chat_id = parameters["chat_id"]
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": BOT_USER,
        }
        if "message_thread_id" in parameters:
            message["message_thread_id"] = parameters["message_thread_id"]
        if "reply_markup" in parameters:
            message["reply_markup"] = parameters["reply_markup"]
        self.messages[chat_id, message["message_id"]] = message
        return message

    def _answer_sendMessage(self, parameters: dict[str, Any]) -> Any:
        message = self._new_message(parameters)
        message["text"] = parameters.get("text", "")
        return message

    def _answer_sendDocument(self, parameters: dict[str, Any]) -> Any:
        message = self._new_message(parameters)
        message["document"] = {"file_id": f"local-{message['message_id']}", "file_unique_id": "u"}
        if "caption" in parameters:
            message["caption"] = parameters["caption"]
        return message

    def _answer_editMessageText(self, parameters: dict[str, Any]) -> Any:
        key = (parameters["chat_id"], parameters["message_id"])
        if key not in self.messages:
            raise LookupError("message to edit not found")
        message = dict(self.messages[key], text=parameters["text"], edit_date=int(time.time()))
        message.pop("reply_markup", None)
        if "reply_markup" in parameters:
            message["reply_markup"] = parameters["reply_markup"]
        self.messages[key] = message
        return message

    def _answer_true(self, parameters: dict[str, Any]) -> Any:
        return True

    _answer_sendChatAction = _answer_true
    _answer_deleteWebhook = _answer_true
    _answer_setMyCommands = _answer_true
    _answer_answerCallbackQuery = _answer_true
    _answer_setMyDescription = _answer_true
    _answer_setMyShortDescription = _answer_true


def _decode(request_data: RequestData | None) -> dict[str, Any]:
    return {} if request_data is None else dict(request_data.parameters)


def _files(request_data: RequestData | None) -> dict[str, tuple[str, bytes]]:
    """Map each file parameter to (file name, content), following ``attach://`` names."""
    if request_data is None or not request_data.contains_files:
        return {}
    parts = request_data.multipart_data
    aliases = {
        value.removeprefix("attach://"): name
        for name, value in request_data.parameters.items()
        if isinstance(value, str) and value.startswith("attach://")
    }
    return {
        aliases.get(part, part): (upload[0], upload[1])
        for part, upload in parts.items()
        if isinstance(upload[1], bytes)
    }


def _error(code: int, description: str) -> dict[str, Any]:
    return {"ok": False, "error_code": code, "description": description}
