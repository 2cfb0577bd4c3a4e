"""Start the real ``python -m bot`` process against a ``LoopbackBotApi``, for end-to-end tests.

The process gets a clean environment: the loopback server's URL, a throwaway token, a
``DATA_DIR`` of the test's own, tiny training settings and DEBUG logging. Its stdout and
stderr go to one file that tests read.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from bot.config import Settings
from tests.loopback_api import LoopbackBotApi

__all__ = ["PROJECT_ROOT", "TOKEN", "BotProcess", "bot_environment"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Shaped like a real token, so that a leak would match what a real one looks like.
TOKEN = "1234567890:AAHtestSECRETtokenVALUEdoNotLog_0123"
FAST_SETTINGS = {
    "LOG_LEVEL": "DEBUG",
    "TRAIN_EPOCHS": "3",
    "MODEL_EMBEDDING_DIM": "4",
    "MODEL_HIDDEN_DIM": "4",
    "POLL_TIMEOUT_SECONDS": "1",
    "REQUEST_RETRY_SECONDS": "0.05",
    "REQUEST_TIMEOUT_SECONDS": "2",
    "STARTUP_RETRIES": "2",
    "RECOMMEND_WAIT_SECONDS": "10",
    "SHUTDOWN_TIMEOUT_SECONDS": "5",
    # The loopback server has no limits, so the bot's own limits would only slow the tests.
    "RATE_LIMIT_OVERALL_PER_SECOND": "100000",
    "FLOOD_LIMIT_COMMANDS": "1000",
}
# Every variable the bot reads, so that the caller's environment cannot leak in.
SETTING_NAMES = {name.upper() for name in Settings.model_fields} | {"HEALTH_MAX_AGE_SECONDS"}


def bot_environment(api: LoopbackBotApi, data_dir: Path, **overrides: str) -> dict[str, str]:
    """Return the environment for a bot process that talks only to ``api``."""
    environment = {name: value for name, value in os.environ.items() if name not in SETTING_NAMES}
    environment.update(FAST_SETTINGS)
    environment.update(
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_BASE_URL=api.base_url,
        DATA_DIR=str(data_dir),
        PYTHONPATH=str(PROJECT_ROOT),
        PYTHONUNBUFFERED="1",
    )
    environment.update(overrides)
    return environment


class BotProcess:
    """One ``python -m bot`` process; ``stop()`` or ``kill()`` ends it by its PID."""

    def __init__(self, environment: dict[str, str], workdir: Path, *arguments: str) -> None:
        self.output_path = workdir / f"bot-output-{len(list(workdir.glob('bot-output-*')))}.log"
        self._output = self.output_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", *arguments],
            cwd=workdir,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=self._output,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.output_path.read_text(errors="replace")

    def wait(self, timeout: float = 60.0) -> int:
        try:
            return self.process.wait(timeout)
        finally:
            self._output.close()

    def stop(self, timeout: float = 30.0) -> int:
        """Send SIGTERM and wait; SIGKILL if the process is still running after ``timeout``."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.wait()

    def kill(self) -> int:
        """End the process at once with SIGKILL, as a crash or an OOM kill would."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        return self.wait()
