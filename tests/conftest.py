"""Shared fixtures: settings in a temporary DATA_DIR and the real Application on a stub API."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from telegram import Update
from telegram.ext import Application

from bot.app import build_application, start_services, stop_services
from bot.config import Settings
from bot.handlers import SERVICE_KEY
from bot.service import RecommenderService
from bot.transport import ApiCall, LocalBotApi
from bot.updates import callback_query_update, message_update


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep the caller's environment and any .env file out of every test."""
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "DATA_DIR", "LOG_LEVEL", "BOT_", "TRAIN_", "MODEL_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def restore_logging():
    """Undo ``configure_logging`` calls made by entry points under test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides) -> Settings:
        # Tests send commands faster than a person could, so the flood limit is raised;
        # tests/test_flood.py sets its own. A thread worker, because spawning a training
        # process per test would cost seconds each, and no debounce, so that a held
        # training starts at the first rating.
        values = {
            "data_dir": tmp_path / "data",
            "recommend_wait_seconds": 30.0,
            "flood_limit_commands": 1000,
            "train_worker": "thread",
            "train_debounce_seconds": 0.0,
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)

    return make


class BotHarness:
    """The real Application with ``LocalBotApi`` as its Bot API, driven update by update."""

    def __init__(self, application: Application, api: LocalBotApi) -> None:
        self.application = application
        self.api = api

    @property
    def service(self) -> RecommenderService:
        return self.application.bot_data[SERVICE_KEY]

    async def send(self, text: str, **fields) -> list[str]:
        """Process one text message and return the texts the bot sent in reply."""
        return await self.process(message_update(text, **fields))

    async def process(self, data: dict) -> list[str]:
        sent_before = len(self.api.sent_texts())
        await self.application.process_update(Update.de_json(data, self.application.bot))
        return self.api.sent_texts()[sent_before:]

    async def reply(self, text: str, **fields) -> str:
        """Process one message and return its single reply."""
        replies = await self.send(text, **fields)
        assert len(replies) == 1, replies
        return replies[0]

    async def reply_to(self, data: dict) -> str:
        """Process one update given as JSON and return its single reply."""
        replies = await self.process(data)
        assert len(replies) == 1, replies
        return replies[0]

    def buttons(self) -> list[dict]:
        """Return the buttons of the bot's latest message, or an empty list."""
        latest = self.api.last_keyboard()
        return [] if latest is None else latest[1]

    async def press(self, data: str, message: dict | None = None, **fields) -> list[ApiCall]:
        """Press a button with ``data`` on ``message`` and return the Bot API calls it caused.

        ``message`` defaults to the bot's latest message with buttons.
        """
        if message is None:
            message = self.api.last_keyboard()[0]
        calls_before = len(self.api.calls)
        await self.process(callback_query_update(data, message, **fields))
        return self.api.calls[calls_before:]

    async def press_label(self, label: str, **fields) -> list[ApiCall]:
        """Press the button of the bot's latest message whose text starts with ``label``."""
        matching = [button for button in self.buttons() if button["text"].startswith(label)]
        assert matching, [button["text"] for button in self.buttons()]
        return await self.press(matching[0]["callback_data"], **fields)

    async def settle(self) -> None:
        """Wait until no training is pending or running."""
        await self.service.trainer.wait_idle()


async def start_harness(settings: Settings) -> BotHarness:
    api = LocalBotApi()
    application = build_application(settings, request=api)
    await application.initialize()
    await start_services(application)
    return BotHarness(application, api)


async def stop_harness(harness: BotHarness) -> None:
    await stop_services(harness.application)
    await harness.application.shutdown()


@pytest.fixture
async def bot(make_settings) -> AsyncIterator[BotHarness]:
    harness = await start_harness(make_settings())
    await harness.settle()
    yield harness
    await stop_harness(harness)
