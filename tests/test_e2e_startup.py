"""Start-up of the real process: Bot API checks, settings checks, webhook mode and health."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from bot.updates import message_update
from tests.bot_process import PROJECT_ROOT, TOKEN, BotProcess, bot_environment
from tests.loopback_api import Fault, LoopbackBotApi

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

WEBHOOK_SECRET = "loopback-webhook-secret_42"


@pytest.fixture
def api() -> Iterator[LoopbackBotApi]:
    server = LoopbackBotApi(TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def start_bot(api, tmp_path) -> Iterator:
    processes: list[BotProcess] = []

    def start(*arguments: str, **overrides: str) -> BotProcess:
        environment = bot_environment(api, tmp_path / "data", **overrides)
        process = BotProcess(environment, tmp_path, *arguments)
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_health(environment: dict[str, str], cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", "health"],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_get_me_failing_exits_with_one_line(api, start_bot):
    api.fail("getMe", Fault.error(502, "Bad Gateway"), times=None)
    bot = start_bot()
    assert bot.wait(90) == 1
    output = bot.output()
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "could not reach the Bot API" in errors[0]
    assert "after 3 attempts" in errors[0]
    assert "Traceback" not in output
    assert len(api.calls_of("getMe")) == 3
    assert TOKEN not in output


def test_rejected_token_exits_with_one_line(api, start_bot):
    bot = start_bot(TELEGRAM_BOT_TOKEN="42:wrong-token")
    assert bot.wait(90) == 1
    output = bot.output()
    assert "rejected TELEGRAM_BOT_TOKEN (401 Unauthorized)" in output
    assert "Traceback" not in output
    assert "wrong-token" not in output


def test_get_me_retried_then_polls_with_httpx(api, start_bot, tmp_path):
    api.fail("getMe", Fault.error(500), times=2)
    bot = start_bot(HTTP_TRANSPORT="httpx")
    api.wait_for_call("getUpdates", timeout=90)
    assert "/rate" in api.ask("/help", user_id=601)

    health = run_health(bot_environment(api, tmp_path / "data"), tmp_path)
    assert health.returncode == 0, health.stderr
    assert health.stdout.startswith("healthy")

    assert bot.stop() == 0
    output = bot.output()
    # httpx logs each request URL at DEBUG level, with the token redacted before output.
    assert "/bot[REDACTED]/getMe" in output
    assert TOKEN not in output


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"WEBHOOK_URL": "https://bot.example.org/hook"}, "WEBHOOK_URL set but BOT_MODE=polling"),
        ({"BOT_MODE": "webhook"}, "BOT_MODE=webhook needs WEBHOOK_URL, WEBHOOK_LISTEN"),
        (
            {
                "BOT_MODE": "webhook",
                "WEBHOOK_URL": "https://bot.example.org/hook",
                "WEBHOOK_LISTEN": "127.0.0.1",
                "WEBHOOK_PORT": "8443",
            },
            "needs WEBHOOK_SECRET_TOKEN",
        ),
    ],
)
def test_bad_mode_settings_exit_2(api, start_bot, overrides, message):
    bot = start_bot(**overrides)
    assert bot.wait(90) == 2
    output = bot.output()
    assert message in output
    assert "Traceback" not in output
    assert api.calls == []


def post_update(port: int, update: dict, secret: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/hook",
        data=json.dumps(update).encode(),
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_webhook_mode_checks_secret(api, start_bot, tmp_path):
    port = free_port()
    webhook = {
        "BOT_MODE": "webhook",
        "WEBHOOK_URL": "https://bot.example.org/hook",
        "WEBHOOK_LISTEN": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
        "WEBHOOK_SECRET_TOKEN": WEBHOOK_SECRET,
    }
    bot = start_bot(**webhook)
    registered = api.wait_for_call("setWebhook", timeout=90)
    assert registered.parameters["url"] == "https://bot.example.org/hook"
    assert registered.parameters["secret_token"] == WEBHOOK_SECRET
    health = run_health(bot_environment(api, tmp_path / "data", **webhook), tmp_path)
    assert health.returncode == 0, health.stderr

    assert post_update(port, message_update("/help", user_id=701), "wrong-secret") == 403
    assert post_update(port, message_update("/help", user_id=702), WEBHOOK_SECRET) == 200
    replies = api.wait_for_replies(702, 1)
    assert "/rate" in replies[0]
    assert api.replies_to(701) == []

    assert bot.stop() == 0
    output = bot.output()
    assert "setWebhook" in output
    assert WEBHOOK_SECRET not in output
    assert TOKEN not in output


def test_health_without_bot_exits_1(tmp_path):
    environment = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT)}
    environment["DATA_DIR"] = str(tmp_path / "data")
    health = run_health(environment, tmp_path)
    assert health.returncode == 1
    assert "no heartbeat file" in health.stderr


def test_webhook_port_in_use_exits_with_one_line(api, start_bot):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        bot = start_bot(
            BOT_MODE="webhook",
            WEBHOOK_URL="https://bot.example.org/hook",
            WEBHOOK_LISTEN="127.0.0.1",
            WEBHOOK_PORT=str(port),
            WEBHOOK_SECRET_TOKEN=WEBHOOK_SECRET,
        )
        assert bot.wait(90) == 1
    output = bot.output()
    assert f"error: cannot serve the webhook on 127.0.0.1:{port}" in output
    assert "Traceback" not in output
