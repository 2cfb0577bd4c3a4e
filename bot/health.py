"""``python -m bot health``: a liveness check for Docker's ``HEALTHCHECK``.

In polling mode the bot rewrites ``DATA_DIR/heartbeat`` after each successful
``getUpdates``, at least every ``POLL_TIMEOUT_SECONDS``; the check passes while that file
is younger than ``HEALTH_MAX_AGE_SECONDS``. In webhook mode updates may not arrive for
hours, so the check passes while the webhook server accepts connections instead.

The check reads its own few settings and imports neither torch nor python-telegram-bot,
so it finishes in well under a second.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["HEARTBEAT_NAME", "Heartbeat", "check_health", "main"]

HEARTBEAT_NAME = "heartbeat"
ANY_ADDRESSES = {"0.0.0.0", "::", ""}


class HealthSettings(BaseSettings):
    """The settings the health check needs, read like ``bot.config.Settings``."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    data_dir: Path = Path("data")
    bot_mode: Literal["polling", "webhook"] = "polling"
    webhook_listen: str | None = None
    webhook_port: int | None = None
    health_max_age_seconds: float = Field(60.0, gt=0)


class Heartbeat:
    """Rewrite the heartbeat file, at most once per ``interval`` seconds."""

    def __init__(self, data_dir: Path, interval: float = 1.0) -> None:
        self.path = data_dir / HEARTBEAT_NAME
        self.interval = interval
        self._last = 0.0

    def beat(self) -> None:
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(f"{time.time():.3f}\n")
        os.replace(temporary, self.path)


def _check_heartbeat(settings: HealthSettings) -> tuple[bool, str]:
    path = settings.data_dir / HEARTBEAT_NAME
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return False, f"unhealthy: no heartbeat file {path} yet"
    if age < -settings.health_max_age_seconds:
        return False, f"unhealthy: heartbeat file {path} is dated {-age:.0f} s in the future"
    if age > settings.health_max_age_seconds:
        return False, f"unhealthy: last poll for updates {age:.0f} s ago"
    return True, f"healthy: last poll for updates {max(age, 0.0):.1f} s ago"


def _check_webhook(settings: HealthSettings) -> tuple[bool, str]:
    if settings.webhook_port is None:
        return False, "unhealthy: WEBHOOK_PORT is not set"
    host = settings.webhook_listen or ""
    host = "127.0.0.1" if host in ANY_ADDRESSES else host
    try:
        with socket.create_connection((host, settings.webhook_port), timeout=2):
            pass
    except (OSError, UnicodeError) as error:
        return False, f"unhealthy: webhook server {host}:{settings.webhook_port}: {error}"
    return True, f"healthy: webhook server {host}:{settings.webhook_port} accepts connections"


def check_health(settings: HealthSettings) -> tuple[bool, str]:
    """Return whether the bot is alive, and a one-line reason."""
    if settings.bot_mode == "webhook":
        return _check_webhook(settings)
    return _check_heartbeat(settings)


def main() -> int:
    """Print the result of the check; return 0 when healthy, 1 otherwise."""
    try:
        settings = HealthSettings()
    except ValidationError as error:
        for problem in error.errors(include_input=False):
            name = str(problem["loc"][0]).upper() if problem["loc"] else "settings"
            print(f"unhealthy: invalid setting {name}: {problem['msg']}", file=sys.stderr)
        return 1
    except UnicodeDecodeError as error:
        print(f"unhealthy: cannot read .env: {error.reason}", file=sys.stderr)
        return 1
    healthy, message = check_health(settings)
    print(message, file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else 1
