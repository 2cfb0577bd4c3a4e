"""The real ``python -m bot`` process on long polling, against the loopback Bot API.

One bot process serves every test in this module, in order; each test queues its own
faults and clears them afterwards. The last test searches the process's whole DEBUG
output for the token.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.bot_process import TOKEN, BotProcess, bot_environment
from tests.loopback_api import Fault, LoopbackBotApi
from tests.update_corpus import corpus

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def api() -> Iterator[LoopbackBotApi]:
    server = LoopbackBotApi(TOKEN).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bot(api, tmp_path_factory) -> Iterator[BotProcess]:
    workdir = tmp_path_factory.mktemp("polling")
    process = BotProcess(bot_environment(api, workdir / "data"), workdir)
    try:
        api.wait_for_call("getUpdates", timeout=90)
        yield process
    finally:
        process.stop()


@pytest.fixture(autouse=True)
def no_faults_left(api) -> Iterator[None]:
    yield
    api.clear_faults()


def test_process_answers_start_and_rate(api, bot):
    assert "You are user #6." in api.ask("/start", user_id=501)
    saved = api.ask("/rate 102 5", user_id=501)
    assert saved.startswith("Saved: movie #102")
    assert "rated 5." in saved
    assert api.calls_of("deleteWebhook")


@pytest.mark.parametrize("status", [500, 502])
def test_send_retried_after_server_error(api, bot, status):
    api.fail("sendMessage", Fault.error(status), times=2)
    sent_before = len(api.calls_of("sendMessage"))
    assert "/rate" in api.ask("/help", user_id=502)
    assert len(api.calls_of("sendMessage")) - sent_before == 3
    assert api.calls_of("sendMessage")[-1].status == 200


def test_send_waits_out_retry_after(api, bot):
    api.fail("sendMessage", Fault.too_many_requests(retry_after=1))
    assert "/rate" in api.ask("/help", user_id=503)
    first, second = api.calls_of("sendMessage")[-2:]
    assert second.at - first.at >= 0.9


def test_send_retried_after_dropped_connection(api, bot):
    api.fail("sendMessage", Fault(drop=True))
    assert "/rate" in api.ask("/help", user_id=504)


def test_send_retried_after_timeout(api, bot):
    # The bot's read timeout is REQUEST_TIMEOUT_SECONDS=2.
    api.fail("sendMessage", Fault(hang_seconds=4))
    assert "/rate" in api.ask("/help", user_id=505)


def test_polling_survives_hanging_get_updates(api, bot):
    polls = len(api.calls_of("getUpdates"))
    api.fail("getUpdates", Fault(hang_seconds=8))
    api.wait_for_call("getUpdates", polls + 1)
    assert "/rate" in api.ask("/help", user_id=506)


def test_polling_survives_dropped_connection(api, bot):
    polls = len(api.calls_of("getUpdates"))
    api.fail("getUpdates", Fault(drop=True), times=2)
    api.wait_for_call("getUpdates", polls + 2)
    assert "/rate" in api.ask("/help", user_id=507)


def test_polling_survives_bad_gateway(api, bot):
    polls = len(api.calls_of("getUpdates"))
    api.fail("getUpdates", Fault.error(502, "Bad Gateway"), times=2)
    api.wait_for_call("getUpdates", polls + 2)
    assert "/rate" in api.ask("/help", user_id=508)


def test_conflict_logged_once_without_traceback(api, bot):
    polls = len(api.calls_of("getUpdates"))
    api.fail("getUpdates", Fault.conflict(), times=3)
    api.wait_for_call("getUpdates", polls + 3)
    assert "/rate" in api.ask("/help", user_id=509)
    output = bot.output()
    assert output.count("409 Conflict") == 1
    assert "another process is polling" in output
    assert "Traceback" not in output


def test_recommend_after_faults(api, bot):
    api.ask("/rate 104 5", user_id=510)
    reply = api.ask("/recommend", user_id=510)
    assert reply.startswith("Your top picks:")
    assert "Movie #10" in reply


def test_corpus_replayed_end_to_end(api, bot):
    entries = corpus()
    for _, update, _, _ in entries:
        api.inject(update)
    for name, _, chat_id, expected in entries:
        if expected is not None:
            (reply,) = api.wait_for_replies(chat_id, 1)
            assert expected in reply, name
    # The edited command came first from this user: once this reply arrives, it was handled.
    assert "/rate" in api.ask("/help", user_id=8101)
    for name, _, chat_id, expected in entries:
        if expected is None:
            sentinel = 1 if chat_id == 8101 else 0
            assert len(api.replies_to(chat_id)) == sentinel, name
    output = bot.output()
    assert "error while handling update" not in output
    assert "Traceback" not in output


def test_token_redacted_in_logged_traceback(api, bot):
    # A Bot API error whose description repeats the request URL, token included.
    leak = Fault.error(400, f"Bad Request: POST /bot{TOKEN}/sendMessage failed")
    api.fail("sendMessage", leak, times=2)
    api.send("/help", user_id=520)
    api.wait_for(lambda: "could not send the apology" in bot.output())
    output = bot.output()
    assert "Traceback" in output
    # python-telegram-bot rewrites the description's case: "Post /bot.../sendmessage".
    assert "/bot[REDACTED]/sendmessage failed" in output
    assert TOKEN not in output


def test_token_in_no_output_at_debug(api, bot):
    output = bot.output()
    assert "DEBUG" in output
    assert "getUpdates" in output
    assert TOKEN not in output
    assert TOKEN.split(":", 1)[1] not in output
