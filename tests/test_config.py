import logging
import sys
import threading

import pytest
from pydantic import ValidationError

from bot.__main__ import main
from bot.config import Settings
from bot.logs import REDACTED, RedactingFormatter

TOKEN = "123456:secret-token-value"


def test_token_hidden_in_repr():
    settings = Settings(_env_file=None, telegram_bot_token=TOKEN)
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings.model_dump())
    assert settings.telegram_bot_token.get_secret_value() == TOKEN


def test_token_hidden_in_validation_error():
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, telegram_bot_token=[TOKEN])
    assert TOKEN not in str(caught.value)


def test_settings_read_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("RECOMMEND_LIMIT", "3")
    settings = Settings(_env_file=None)
    assert settings.data_dir == tmp_path
    assert settings.log_level == "DEBUG"
    assert settings.recommend_limit == 3
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"


def test_settings_read_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("TRAIN_EPOCHS=7\nBOT_MODE=polling\n")
    assert Settings(_env_file=env_file).train_epochs == 7


def test_settings_reject_inverted_scale():
    with pytest.raises(ValidationError, match="minimum < maximum"):
        Settings(_env_file=None, rating_min=5, rating_max=1)


def test_main_without_token_exits_2(capsys):
    assert main([]) == 2
    error = capsys.readouterr().err
    assert "TELEGRAM_BOT_TOKEN is not set" in error
    assert "@BotFather" in error
    assert "python -m bot chat" in error


def test_main_rejects_invalid_settings(monkeypatch, capsys):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("RECOMMEND_LIMIT", "zero")
    assert main([]) == 2
    error = capsys.readouterr().err
    assert "RECOMMEND_LIMIT: Input should be a valid integer" in error
    assert "zero" not in error
    assert TOKEN not in error


def test_formatter_redacts_token_in_message_and_traceback():
    formatter = RedactingFormatter([TOKEN])
    try:
        raise RuntimeError(f"request to /bot{TOKEN}/getMe failed")
    except RuntimeError:
        record = logging.LogRecord(
            "test", logging.ERROR, __file__, 1, "POST %s", (f"/bot{TOKEN}/x",), True
        )
        record.exc_info = sys.exc_info()
    text = formatter.format(record)
    assert TOKEN not in text
    assert text.count(REDACTED) == 2


def test_main_reports_unusable_data_dir(monkeypatch, tmp_path, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("DATA_DIR", str(blocker))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    assert main([]) == 1
    error = capsys.readouterr().err
    assert "cannot open the database" in error
    assert "Set DATA_DIR to a writable folder." in error
    assert "Traceback" not in error


WEBHOOK = {
    "bot_mode": "webhook",
    "webhook_url": "https://bot.example.org/hook",
    "webhook_listen": "0.0.0.0",
    "webhook_port": 8443,
    "webhook_secret_token": "secret_token-1",
}


def test_webhook_settings_accepted():
    settings = Settings(_env_file=None, **WEBHOOK)
    assert settings.webhook_port == 8443
    assert "secret_token-1" not in repr(settings)
    assert "secret_token-1" in settings.secrets()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"bot_mode": "polling"}, "WEBHOOK_URL, WEBHOOK_LISTEN, WEBHOOK_PORT, WEBHOOK_SECRET"),
        ({"webhook_port": None}, "BOT_MODE=webhook needs WEBHOOK_PORT"),
        ({"webhook_secret_token": None}, "needs WEBHOOK_SECRET_TOKEN"),
        ({"webhook_url": "http://bot.example.org/hook"}, "must start with https://"),
        ({"webhook_secret_token": "has space"}, "1-256 characters"),
    ],
)
def test_bad_webhook_settings_rejected(overrides, message):
    with pytest.raises(ValidationError, match=message):
        Settings(_env_file=None, **{**WEBHOOK, **overrides})


def test_secret_token_hidden_in_error():
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, **{**WEBHOOK, "webhook_secret_token": "bad secret!"})
    assert "bad secret!" not in str(caught.value)


def test_record_redacted_before_any_handler():
    from bot.logs import configure_logging

    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogRecordFactory(), sys.excepthook)
    thread_hook = threading.excepthook
    try:
        configure_logging(logging.DEBUG, secrets=[TOKEN])
        root.addHandler(Keep())
        logging.getLogger("test").debug("POST %s", f"https://api.telegram.org/bot{TOKEN}/getMe")
        logging.getLogger("test").debug("other %s", "/bot987:OTHERtoken_value/sendMessage")
    finally:
        root.handlers[:], level, factory, sys.excepthook = saved
        root.setLevel(level)
        logging.setLogRecordFactory(factory)
        logging.captureWarnings(False)
        threading.excepthook = thread_hook
    assert records[0].getMessage() == "POST https://api.telegram.org/bot[REDACTED]/getMe"
    assert records[1].getMessage() == "other /bot[REDACTED]/sendMessage"


async def test_import_while_bot_runs_is_rejected(make_settings, monkeypatch, tmp_path, capsys):
    from tests.conftest import start_harness, stop_harness

    settings = make_settings()
    harness = await start_harness(settings)
    folder = tmp_path / "movielens"
    folder.mkdir()
    (folder / "movies.csv").write_text("movieId,title,genres\n1,Toy Story (1995),Comedy\n")
    (folder / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,1,4.0,964982703\n")
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    assert main(["import-movielens", str(folder)]) == 1
    error = capsys.readouterr().err
    assert "in use by another process" in error
    assert "Traceback" not in error
    assert list(harness.service.titles) == [101, 102, 103, 104]
    await stop_harness(harness)
