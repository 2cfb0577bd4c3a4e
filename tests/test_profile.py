"""The command menu and descriptions published at start-up."""

import logging

import pytest

from bot.profile import MENU_COMMANDS
from bot.texts import LANGUAGES
from bot.transport import LocalBotApi
from tests.conftest import start_harness, stop_harness


def calls_of(bot, method: str) -> list[dict]:
    return [call.parameters for call in bot.api.calls if call.method == method]


async def test_menu_published_in_every_language(bot):
    menus = {
        menu.get("language_code"): menu["commands"] for menu in calls_of(bot, "setMyCommands")
    }
    assert set(menus) == {None, *(language for language in LANGUAGES if language != "en")}
    assert [command["command"] for command in menus[None]] == list(MENU_COMMANDS)
    assert menus[None][0]["description"].startswith("Rate a movie")
    assert menus["ru"][0]["description"].startswith("Оценить фильм")
    for commands in menus.values():
        for command in commands:
            assert 1 <= len(command["description"]) <= 256


@pytest.mark.parametrize(
    ("method", "maximum"), [("setMyDescription", 512), ("setMyShortDescription", 120)]
)
async def test_descriptions_published(bot, method, maximum):
    by_language = {call.get("language_code"): call for call in calls_of(bot, method)}
    assert set(by_language) == {None, "ru"}
    for call in by_language.values():
        key = "description" if method == "setMyDescription" else "short_description"
        assert 1 <= len(call[key]) <= maximum


async def test_menu_failure_does_not_stop_start(make_settings, monkeypatch, caplog):
    def failing(self, parameters):
        raise LookupError("simulated failure")

    monkeypatch.setattr(LocalBotApi, "_answer_setMyCommands", failing)
    caplog.set_level(logging.WARNING)
    harness = await start_harness(make_settings())
    assert "could not set the en command menu" in caplog.text
    assert "You are user #6." in await harness.reply("/start")
    await stop_harness(harness)
