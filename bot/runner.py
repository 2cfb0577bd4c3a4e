"""Run the bot on Telegram: check the Bot API at start-up, then poll or serve a webhook.

Errors while fetching updates reach the error handlers with no update. The first handler
here turns each into one log line without a traceback: a 409 Conflict, which means that
another process polls with the same token, is logged once and then counted.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from urllib.parse import urlsplit

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes

from bot.config import Settings
from bot.logs import redact_urls
from bot.request import RetryingRequest, http_client

__all__ = ["check_bot_api", "run_bot"]

logger = logging.getLogger(__name__)

# A repeated polling error is logged again at most this often, with a count.
REPEAT_LOG_SECONDS = 300.0


class PollingErrors:
    """Error handler for failed ``getUpdates`` calls: one line per kind of failure."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._logged_at: dict[str, float] = {}

    async def __call__(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        if update is not None or not isinstance(error, TelegramError):
            return
        kind = type(error).__name__
        self._counts[kind] = self._counts.get(kind, 0) + 1
        now = time.monotonic()
        if now - self._logged_at.get(kind, -REPEAT_LOG_SECONDS) >= REPEAT_LOG_SECONDS:
            self._logged_at[kind] = now
            self._log(error, self._counts[kind])
        raise ApplicationHandlerStop

    @staticmethod
    def _log(error: TelegramError, count: int) -> None:
        if isinstance(error, Conflict):
            logger.warning(
                "another process is polling for updates with this token (409 Conflict, "
                "%d times so far): stop it, or give each bot process its own token; "
                "retrying meanwhile",
                count,
            )
        else:
            logger.warning(
                "polling for updates failed (%d times so far), retrying: %s",
                count,
                redact_urls(str(error)),
            )


async def check_bot_api(settings: Settings) -> str | None:
    """Call ``getMe`` with retries and backoff; return an error line, or ``None`` if it worked."""
    retrying = RetryingRequest(
        http_client(settings, read_timeout=settings.request_timeout_seconds),
        retries=settings.startup_retries,
        base_delay=max(settings.request_retry_seconds, 0.1),
        max_delay=30.0,
    )
    bot = Bot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=settings.telegram_api_base_url,
        request=retrying,
    )
    try:
        async with bot:
            logger.info("Bot API reachable as @%s", bot.username)
    except InvalidToken:
        return (
            "error: the Bot API rejected TELEGRAM_BOT_TOKEN (401 Unauthorized): "
            "check the token from @BotFather"
        )
    except NetworkError as error:
        return (
            f"error: could not reach the Bot API at {redact_urls(settings.telegram_api_base_url)}"
            f" after {settings.startup_retries + 1} attempts ({redact_urls(str(error))}): "
            "check TELEGRAM_API_BASE_URL and the network"
        )
    return None


def _run_webhook(application: Application, settings: Settings) -> None:
    url = settings.webhook_url
    logger.info(
        "serving the webhook on %s:%d, path %s",
        settings.webhook_listen,
        settings.webhook_port,
        urlsplit(url).path or "/",
    )
    application.run_webhook(
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        url_path=urlsplit(url).path.lstrip("/"),
        webhook_url=url,
        secret_token=settings.webhook_secret_token.get_secret_value(),
        allowed_updates=Update.ALL_TYPES,
    )


def run_bot(application: Application, settings: Settings) -> int:
    """Check the Bot API, then run until stopped; return the exit status."""
    problem = asyncio.run(check_bot_api(settings))
    if problem is not None:
        print(problem, file=sys.stderr, flush=True)
        return 1
    asyncio.set_event_loop(asyncio.new_event_loop())

    application.error_handlers = {PollingErrors(): True, **application.error_handlers}
    if settings.bot_mode == "webhook":
        try:
            _run_webhook(application, settings)
        except OSError as error:
            # Raised when the port is taken or the listen address does not resolve.
            print(
                f"error: cannot serve the webhook on {settings.webhook_listen}:"
                f"{settings.webhook_port}: {error}. Check WEBHOOK_LISTEN and WEBHOOK_PORT.",
                file=sys.stderr,
                flush=True,
            )
            return 1
        return 0
    logger.info("polling for updates")
    application.run_polling(
        allowed_updates=Update.ALL_TYPES, timeout=settings.poll_timeout_seconds
    )
    return 0
