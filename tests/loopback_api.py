"""A loopback Telegram Bot API over real HTTP, for end-to-end tests and the load benchmark.

``LoopbackBotApi`` serves ``/bot<token>/<method>`` on 127.0.0.1 and a free port, from an
aiohttp server in its own thread, so that blocking test code can drive it. It speaks enough
of the Bot API for long polling and for the methods the bot calls. Tests inject updates,
wait for the calls the bot makes, and queue faults (an HTTP error, a 429 with
``retry_after``, a hang or a dropped connection) for the next calls of a method.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.transport import BOT_USER
from bot.updates import message_update

__all__ = ["ApiCall", "Fault", "LoopbackBotApi"]

CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)


@dataclass
class ApiCall:
    """One request the bot made: method, raw form parameters, arrival time and response status.

    ``status`` is ``None`` until the server responded, and stays ``None`` for a dropped
    connection.
    """

    method: str
    parameters: dict[str, str]
    at: float
    status: int | None = None

    def text(self) -> str:
        return self.parameters.get("text", "")

    def chat_id(self) -> int | None:
        value = self.parameters.get("chat_id")
        return None if value is None else int(value)


@dataclass
class Fault:
    """What the server does instead of responding normally."""

    status: int | None = None
    description: str = "Internal Server Error"
    retry_after: int | None = None
    hang_seconds: float | None = None
    drop: bool = False

    @classmethod
    def error(cls, status: int, description: str = "Internal Server Error") -> Fault:
        return cls(status=status, description=description)

    @classmethod
    def too_many_requests(cls, retry_after: int) -> Fault:
        return cls(status=429, description="Too Many Requests", retry_after=retry_after)

    @classmethod
    def conflict(cls) -> Fault:
        return cls(status=409, description=CONFLICT)


@dataclass
class _FaultPlan:
    fault: Fault
    times: int | None  # ``None`` repeats until cleared
    hits: int = field(default=0)


class LoopbackBotApi:
    """The Bot API on 127.0.0.1: updates in, recorded calls out, faults on request."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.port = 0
        self.calls: list[ApiCall] = []
        self.delivered_update_ids: set[int] = set()
        self.messages_sent = 0
        self._changed = threading.Condition()
        self._faults: dict[str, deque[_FaultPlan]] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._loop = asyncio.new_event_loop()
        self._new_updates: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    # Lifecycle -------------------------------------------------------------------------------

    def start(self) -> LoopbackBotApi:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
        return self

    async def _start(self) -> None:
        self._new_updates = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        if self._runner is not None:
            future = asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop)
            future.result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()

    @property
    def base_url(self) -> str:
        """The value for ``TELEGRAM_API_BASE_URL``."""
        return f"http://127.0.0.1:{self.port}/bot"

    # Test API ---------------------------------------------------------------------------------

    def inject(self, update: dict[str, Any]) -> int:
        """Queue an update for ``getUpdates``, numbering it; return its ``update_id``."""
        update = dict(update)
        update["update_id"] = next(self._update_ids)
        self._loop.call_soon_threadsafe(self._add_update, update)
        return update["update_id"]

    def send(self, text: str, *, user_id: int = 1, **fields: Any) -> int:
        """Queue a text message from a user; return its ``update_id``."""
        return self.inject(message_update(text, user_id=user_id, **fields))

    def fail(self, method: str, fault: Fault, times: int | None = 1) -> None:
        """Respond to the next ``times`` calls of ``method`` with ``fault`` (``None``: all)."""
        with self._changed:
            self._faults.setdefault(method, deque()).append(_FaultPlan(fault, times))

    def clear_faults(self) -> None:
        with self._changed:
            self._faults.clear()

    def calls_of(self, method: str) -> list[ApiCall]:
        with self._changed:
            return [call for call in self.calls if call.method == method]

    def answered(self, method: str) -> list[ApiCall]:
        """Return the calls of ``method`` that got a 200 response."""
        return [call for call in self.calls_of(method) if call.status == 200]

    def replies_to(self, chat_id: int) -> list[str]:
        """Return the texts sent to a chat, oldest first."""
        with self._changed:
            return [
                call.text()
                for call in self.calls
                if call.method == "sendMessage"
                and call.status == 200
                and call.chat_id() == chat_id
            ]

    def wait_for(self, condition: Callable[[], Any], timeout: float = 60.0) -> Any:
        """Wait until ``condition()`` is truthy after some call; return its value."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not (result := condition()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"condition not met within {timeout} s")
                self._changed.wait(remaining)
            return result

    def wait_for_call(self, method: str, count: int = 1, timeout: float = 60.0) -> ApiCall:
        """Wait until ``method`` was called ``count`` times; return the latest call."""
        return self.wait_for(
            lambda: len(calls := self.calls_of(method)) >= count and calls[-1], timeout
        )

    def wait_for_replies(self, chat_id: int, count: int, timeout: float = 60.0) -> list[str]:
        """Wait until a chat received ``count`` messages in all; return their texts."""
        return self.wait_for(
            lambda: len(texts := self.replies_to(chat_id)) >= count and texts, timeout
        )

    def ask(self, text: str, *, user_id: int, timeout: float = 60.0, **fields: Any) -> str:
        """Send a message and wait for the next reply in the sender's chat; return it."""
        chat_id = fields.get("chat_id", user_id)
        before = len(self.replies_to(chat_id))
        self.send(text, user_id=user_id, **fields)
        return self.wait_for_replies(chat_id, before + 1, timeout)[before]

    # Server -----------------------------------------------------------------------------------

    def _add_update(self, update: dict[str, Any]) -> None:
        self._updates.append(update)
        self._new_updates.set()

    def _take_fault(self, method: str) -> Fault | None:
        with self._changed:
            plans = self._faults.get(method)
            if not plans:
                return None
            plan = plans[0]
            plan.hits += 1
            if plan.times is not None and plan.hits >= plan.times:
                plans.popleft()
            return plan.fault

    def _record(self, method: str, parameters: dict[str, str]) -> ApiCall:
        call = ApiCall(method, parameters, time.monotonic())
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        return call

    def _answered(self, call: ApiCall, response: web.StreamResponse | None) -> None:
        with self._changed:
            call.status = None if response is None else response.status
            if call.method == "sendMessage" and call.status == 200:
                self.messages_sent += 1
            self._changed.notify_all()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        call, response = await self._respond(request)
        self._answered(call, response)
        return web.Response(status=500) if response is None else response

    async def _respond(self, request: web.Request) -> tuple[ApiCall, web.StreamResponse | None]:
        method = request.match_info["method"]
        form = await request.post()
        parameters = {key: value for key, value in form.items() if isinstance(value, str)}
        parameters.update(request.query)
        call = self._record(method, parameters)
        if request.match_info["token"] != self.token:
            return call, _error(401, "Unauthorized")

        fault = self._take_fault(method)
        if fault is not None:
            if fault.drop:
                request.transport.close()
                return call, None
            if fault.hang_seconds is not None:
                await asyncio.sleep(fault.hang_seconds)
            else:
                return call, _fault_response(fault)
        answer = getattr(self, f"_answer_{method}", None)
        if answer is None:
            return call, _error(404, "Not Found: method not found")
        return call, web.json_response({"ok": True, "result": await answer(parameters)})

    async def _answer_getUpdates(self, parameters: dict[str, str]) -> list[dict[str, Any]]:
        offset = int(parameters.get("offset", 0) or 0)
        limit = int(parameters.get("limit", 100) or 100)
        timeout = float(parameters.get("timeout", 0) or 0)
        self._updates = [update for update in self._updates if update["update_id"] >= offset]
        if not self._updates and timeout > 0:
            self._new_updates.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_updates.wait(), timeout)
        batch = self._updates[:limit]
        with self._changed:
            self.delivered_update_ids.update(update["update_id"] for update in batch)
        return batch

    async def _answer_getMe(self, parameters: dict[str, str]) -> dict[str, Any]:
        return BOT_USER

    async def _answer_sendMessage(self, parameters: dict[str, str]) -> dict[str, Any]:
        return self._message(parameters, text=parameters.get("text", ""))

    async def _answer_editMessageText(self, parameters: dict[str, str]) -> dict[str, Any]:
        message = self._message(parameters, text=parameters.get("text", ""))
        message["message_id"] = int(parameters.get("message_id", 0) or 0)
        message["edit_date"] = int(time.time())
        return message

    async def _answer_sendDocument(self, parameters: dict[str, str]) -> dict[str, Any]:
        message = self._message(parameters)
        message["document"] = {"file_id": "document", "file_unique_id": "document"}
        return message

    async def _answer_true(self, parameters: dict[str, str]) -> bool:
        return True

    _answer_answerCallbackQuery = _answer_true
    _answer_setMyCommands = _answer_true
    _answer_setMyDescription = _answer_true
    _answer_setMyShortDescription = _answer_true
    _answer_deleteWebhook = _answer_true
    _answer_setWebhook = _answer_true
    _answer_sendChatAction = _answer_true
    _answer_deleteMyCommands = _answer_true

    def _message(self, parameters: dict[str, str], **content: Any) -> dict[str, Any]:
        chat_id = int(parameters.get("chat_id", 0) or 0)
        chat_type = "private" if chat_id > 0 else "supergroup"
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": chat_type},
            "from": BOT_USER,
            **content,
        }


def _fault_response(fault: Fault) -> web.Response:
    extra = {"retry_after": fault.retry_after} if fault.retry_after is not None else None
    return _error(fault.status or 500, fault.description, extra)


def _error(status: int, description: str, parameters: dict | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.Response(status=status, text=json.dumps(body), content_type="application/json")
