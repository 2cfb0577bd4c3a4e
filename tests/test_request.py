"""RetryingRequest and the aiohttp transport against scripted answers and the loopback API."""

from __future__ import annotations

import json
import logging

import pytest
from telegram import Bot
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest

from bot.aiohttp_request import AiohttpRequest
from bot.request import RetryingRequest
from tests.loopback_api import Fault, LoopbackBotApi

URL = "http://127.0.0.1:1/bot123:secret/sendMessage"


class ScriptedRequest(BaseRequest):
    """Answer each request with the next scripted (status, body) or raise the next error."""

    def __init__(self, answers: list) -> None:
        self.answers = list(answers)
        self.requests = 0

    @property
    def read_timeout(self) -> float:
        return 1.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(self, url, method, request_data=None, **timeouts):
        self.requests += 1
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


OK = (200, b'{"ok": true, "result": true}')


def error_body(status: int, **parameters) -> tuple[int, bytes]:
    body = {"ok": False, "error_code": status, "description": "error"}
    if parameters:
        body["parameters"] = parameters
    return status, json.dumps(body).encode()


def retrying(answers: list, retries: int = 3) -> tuple[RetryingRequest, ScriptedRequest]:
    inner = ScriptedRequest(answers)
    return RetryingRequest(inner, retries=retries, base_delay=0.001), inner


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_errors_retried(status):
    request, inner = retrying([error_body(status), error_body(status), OK])
    assert await request.do_request(URL, "POST") == OK
    assert inner.requests == 3


@pytest.mark.parametrize("error", [NetworkError("dropped"), TimedOut()])
async def test_network_errors_retried(error):
    request, inner = retrying([error, OK])
    assert await request.do_request(URL, "POST") == OK
    assert inner.requests == 2


async def test_retries_are_bounded():
    request, inner = retrying([error_body(502)] * 3, retries=2)
    assert (await request.do_request(URL, "POST"))[0] == 502
    assert inner.requests == 3


async def test_network_error_raised_after_last_retry():
    request, inner = retrying([NetworkError("down")] * 2, retries=1)
    with pytest.raises(NetworkError, match="down"):
        await request.do_request(URL, "POST")
    assert inner.requests == 2


@pytest.mark.parametrize("status", [400, 403, 404, 409])
async def test_client_errors_not_retried(status):
    request, inner = retrying([error_body(status), OK])
    assert (await request.do_request(URL, "POST"))[0] == status
    assert inner.requests == 1


async def test_retry_after_waited_out(monkeypatch):
    pauses: list[float] = []

    async def record_sleep(seconds: float) -> None:
        pauses.append(seconds)

    monkeypatch.setattr("bot.request.asyncio.sleep", record_sleep)
    request, inner = retrying([error_body(429, retry_after=7), OK])
    assert inner.requests == 0
    assert await request.do_request(URL, "POST") == OK
    assert pauses == [7.0]
    assert inner.requests == 2


async def test_long_retry_after_handed_back():
    request, inner = retrying([error_body(429, retry_after=3600), OK])
    assert (await request.do_request(URL, "POST"))[0] == 429
    assert inner.requests == 1


def test_backoff_grows_and_is_capped():
    request = RetryingRequest(ScriptedRequest([]), base_delay=1.0, max_delay=5.0)
    assert 0.5 <= request.backoff(1) <= 1.0
    assert 2.0 <= request.backoff(3) <= 4.0
    assert 2.5 <= request.backoff(10) <= 5.0


async def test_retry_log_names_method_not_token(caplog):
    request, _ = retrying([error_body(500), OK])
    with caplog.at_level(logging.WARNING):
        await request.do_request(URL, "POST")
    assert "sendMessage failed (HTTP 500): retry 1 of 3" in caplog.text
    assert "secret" not in caplog.text


@pytest.fixture
def loopback():
    server = LoopbackBotApi("123:loopback").start()
    yield server
    server.stop()


async def test_aiohttp_transport_sends_and_uploads(loopback):
    bot = Bot("123:loopback", base_url=loopback.base_url, request=AiohttpRequest())
    async with bot:
        assert bot.username == "MovieRecommenderBot"
        message = await bot.send_message(42, "hello 5")
        await bot.send_document(42, b"movie,score\n", filename="scores.csv")
    assert message.text == "hello 5"
    assert loopback.replies_to(42) == ["hello 5"]
    assert loopback.answered("sendDocument")[0].parameters["chat_id"] == "42"


async def test_aiohttp_transport_maps_dropped_connection(loopback):
    loopback.fail("sendMessage", Fault(drop=True))
    bot = Bot("123:loopback", base_url=loopback.base_url, request=AiohttpRequest())
    async with bot:
        with pytest.raises(NetworkError, match="aiohttp"):
            await bot.send_message(42, "lost")


async def test_aiohttp_transport_times_out(loopback):
    loopback.fail("sendMessage", Fault(hang_seconds=2))
    bot = Bot("123:loopback", base_url=loopback.base_url, request=AiohttpRequest())
    async with bot:
        with pytest.raises(TimedOut):
            await bot.send_message(42, "slow", read_timeout=0.2)
