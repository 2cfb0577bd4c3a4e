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
from dataclasses import dataclass
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
    """One Bot API request: the method name and its parameters as decoded JSON values."""

    method: str
    parameters: dict[str, Any]


class LocalBotApi(BaseRequest):
    """Answer Bot API requests in memory and record every call in ``calls``."""

    def __init__(self, on_call: Callable[[ApiCall], None] | None = None) -> None:
        self.calls: list[ApiCall] = []
        self.on_call = on_call
        # Chats whose user blocked the bot: sending to them fails with 403 Forbidden.
        self.blocked_chats: set[int] = set()
        self._message_ids = itertools.count(1)

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
        call = ApiCall(api_method, parameters)
        self.calls.append(call)
        if self.on_call is not None:
            self.on_call(call)

        answer = getattr(self, f"_answer_{api_method}", None)
        if parameters.get("chat_id") in self.blocked_chats:
            body = {
                "ok": False,
                "error_code": 403,
                "description": "Forbidden: bot was blocked by the user",
            }
            return 403, json.dumps(body).encode()
        if answer is None:
            body = {
                "ok": False,
                "error_code": 400,
                "description": f"Bad Request: method {api_method} is not implemented locally",
            }
            return 400, json.dumps(body).encode()
        return 200, json.dumps({"ok": True, "result": answer(parameters)}).encode()

    def _answer_getMe(self, parameters: dict[str, Any]) -> Any:
        return BOT_USER

    def _answer_getUpdates(self, parameters: dict[str, Any]) -> Any:
        return []

    def _answer_sendMessage(self, parameters: dict[str, Any]) -> Any:
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": parameters["chat_id"], "type": "private"},
            "from": BOT_USER,
            "text": parameters.get("text", ""),
        }
        if "message_thread_id" in parameters:
            message["message_thread_id"] = parameters["message_thread_id"]
        return message

    def _answer_true(self, parameters: dict[str, Any]) -> Any:
        return True

    _answer_sendChatAction = _answer_true
    _answer_deleteWebhook = _answer_true
    _answer_setMyCommands = _answer_true
    _answer_answerCallbackQuery = _answer_true


def _decode(request_data: RequestData | None) -> dict[str, Any]:
    return {} if request_data is None else dict(request_data.parameters)
