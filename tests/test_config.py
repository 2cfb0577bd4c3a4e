import logging
import sys

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
