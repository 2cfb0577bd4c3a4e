"""Bot API transports: the HTTP client of choice, wrapped in bounded retries.

python-telegram-bot sends each request once. ``RetryingRequest`` resends a request that
failed with a server error (HTTP 5xx), a timeout or a dropped connection, up to
``retries`` more times with exponential backoff and jitter, and waits out the
``retry_after`` of an HTTP 429. A resent message can arrive twice when the first attempt
did reach Telegram: a rare duplicate reply is preferred to a lost one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from typing import Any

from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.aiohttp_request import AiohttpRequest
from bot.config import Settings
from bot.health import Heartbeat

__all__ = ["HeartbeatRequest", "RetryingRequest", "build_requests", "http_client"]

logger = logging.getLogger(__name__)

RETRIED_STATUSES = frozenset({500, 502, 503, 504})
TOO_MANY_REQUESTS = 429


def _method(url: str) -> str:
    """Return the Bot API method name, the last URL segment; the token never leaves here."""
    return url.rsplit("/", 1)[-1]


def _retry_after(payload: bytes) -> float | None:
    try:
        parameters = json.loads(payload).get("parameters") or {}
        return float(parameters["retry_after"])
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


class _WrappedRequest(BaseRequest):
    """A ``BaseRequest`` that delegates its timeouts and lifecycle to ``inner``."""

    inner: BaseRequest

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()


class RetryingRequest(_WrappedRequest):
    """Wrap another ``BaseRequest`` and retry failed requests with backoff."""

    def __init__(
        self,
        inner: BaseRequest,
        *,
        retries: int = 3,
        base_delay: float = 0.5,
        max_delay: float = 10.0,
        max_retry_after: float = 60.0,
    ) -> None:
        self.inner = inner
        self.retries = retries
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_retry_after = max_retry_after

    def backoff(self, attempt: int) -> float:
        """Return the pause in seconds before retry ``attempt`` (1 for the first)."""
        delay = min(self.base_delay * 2 ** (attempt - 1), self.max_delay)
        return delay * random.uniform(0.5, 1.0)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        attempt = 0
        while True:
            try:
                code, payload = await self.inner.do_request(
                    url,
                    method,
                    request_data,
                    read_timeout=read_timeout,
                    write_timeout=write_timeout,
                    connect_timeout=connect_timeout,
                    pool_timeout=pool_timeout,
                )
            except (TimedOut, NetworkError) as error:
                if attempt >= self.retries:
                    raise
                reason, delay = type(error).__name__, self.backoff(attempt + 1)
            else:
                delay = self._delay_for(code, payload, attempt)
                if delay is None:
                    return code, payload
                reason = f"HTTP {code}"
            attempt += 1
            logger.warning(
                "%s failed (%s): retry %d of %d in %.2f s",
                _method(url),
                reason,
                attempt,
                self.retries,
                delay,
            )
            await asyncio.sleep(delay)

    def _delay_for(self, code: int, payload: bytes, attempt: int) -> float | None:
        """Return the pause before retrying a response, or ``None`` to hand it back as is."""
        if attempt >= self.retries:
            return None
        if code in RETRIED_STATUSES:
            return self.backoff(attempt + 1)
        if code == TOO_MANY_REQUESTS:
            retry_after = _retry_after(payload)
            if retry_after is not None and retry_after <= self.max_retry_after:
                return retry_after
        return None


class HeartbeatRequest(_WrappedRequest):
    """Wrap the ``getUpdates`` transport and beat the heartbeat after each success."""

    def __init__(self, inner: BaseRequest, heartbeat: Heartbeat) -> None:
        self.inner = inner
        self.heartbeat = heartbeat

    async def do_request(
        self, url: str, method: str, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        code, payload = await self.inner.do_request(url, method, *args, **kwargs)
        if code == 200:
            try:
                self.heartbeat.beat()
            except OSError as error:
                logger.warning("could not write the heartbeat file: %s", error)
        return code, payload


def http_client(settings: Settings, *, read_timeout: float) -> BaseRequest:
    """Return the HTTP transport that ``HTTP_TRANSPORT`` names."""
    if settings.http_transport == "aiohttp":
        return AiohttpRequest(read_timeout=read_timeout)
    return HTTPXRequest(connection_pool_size=256, read_timeout=read_timeout)


def build_requests(settings: Settings) -> tuple[BaseRequest, BaseRequest]:
    """Return the transports for Bot API calls and for ``getUpdates``.

    ``getUpdates`` is not wrapped in retries: the Updater already repeats it forever. Its
    read timeout is ``REQUEST_TIMEOUT_SECONDS`` on top of the long-poll timeout.
    """
    calls = RetryingRequest(
        http_client(settings, read_timeout=settings.request_timeout_seconds),
        retries=settings.request_retries,
        base_delay=settings.request_retry_seconds,
    )
    updates = HeartbeatRequest(
        http_client(settings, read_timeout=settings.request_timeout_seconds),
        Heartbeat(settings.data_dir),
    )
    return calls, updates
