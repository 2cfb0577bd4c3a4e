"""Logging set-up for the entry points, with secrets redacted from every line."""

from __future__ import annotations

import logging
from collections.abc import Iterable

__all__ = ["RedactingFormatter", "configure_logging"]

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[REDACTED]"


class RedactingFormatter(logging.Formatter):
    """Format records, then replace every secret in the whole text, tracebacks included."""

    def __init__(self, secrets: Iterable[str], fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        self.secrets = [secret for secret in secrets if secret]

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text


def configure_logging(level: int, secrets: Iterable[str] = ()) -> None:
    """Log to stderr at ``level``; quiet httpx, whose request lines contain the token."""
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
