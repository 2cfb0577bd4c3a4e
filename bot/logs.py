"""Logging set-up for the entry points, with secrets redacted from every line."""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Iterable

__all__ = ["RedactingFormatter", "configure_logging", "redact", "redact_urls"]

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[REDACTED]"
# A Bot API token in a request URL: /bot<digits>:<35 or so URL-safe characters>/.
TOKEN_IN_URL = re.compile(r"/bot[0-9]+:[A-Za-z0-9_-]+")
_DEFAULT_RECORD_FACTORY = logging.getLogRecordFactory()


def redact_urls(text: str) -> str:
    """Replace any Bot API token in a URL path with ``[REDACTED]``."""
    return TOKEN_IN_URL.sub(f"/bot{REDACTED}", text)


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret and every token in a URL with ``[REDACTED]``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return redact_urls(text)


class RedactingFormatter(logging.Formatter):
    """Format records, then replace every secret in the whole text, tracebacks included."""

    def __init__(self, secrets: Iterable[str], fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        self.secrets = [secret for secret in secrets if secret]

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets)


def _redacting_record_factory(secrets: list[str]):
    """Wrap the record factory so that a record holds only redacted text from the start.

    Every handler then sees redacted text, including handlers added later and by other
    libraries, and the traceback is rendered and redacted here too.
    """
    formatter = logging.Formatter()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = _DEFAULT_RECORD_FACTORY(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # Arguments that do not fit the format: keep both, redacted, side by side.
            message = f"{record.msg} {record.args!r}"
        record.msg = redact(message, secrets)
        record.args = None
        if record.exc_info:
            record.exc_text = redact(formatter.formatException(record.exc_info), secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, secrets)
        return record

    return factory


def _log_uncaught(secrets: list[str]) -> None:
    """Send uncaught exceptions through logging, so their tracebacks are redacted too."""
    uncaught = logging.getLogger("uncaught")

    def excepthook(kind, value, traceback) -> None:
        uncaught.critical("uncaught exception", exc_info=(kind, value, traceback))

    def thread_excepthook(arguments: threading.ExceptHookArgs) -> None:
        uncaught.critical(
            "uncaught exception in thread %s",
            arguments.thread.name if arguments.thread is not None else None,
            exc_info=(arguments.exc_type, arguments.exc_value, arguments.exc_traceback),
        )

    sys.excepthook = excepthook
    threading.excepthook = thread_excepthook


def configure_logging(level: int, secrets: Iterable[str] = ()) -> None:
    """Log to stderr at ``level``, with every secret redacted before any handler sees it.

    Also routes warnings and uncaught exceptions through logging.
    """
    secret_list = [secret for secret in secrets if secret]
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter(secret_list))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.setLogRecordFactory(_redacting_record_factory(secret_list))
    logging.captureWarnings(True)
    _log_uncaught(secret_list)
    # httpx logs every request URL at INFO: keep that for DEBUG runs only, redacted above.
    quiet = logging.NOTSET if level <= logging.DEBUG else logging.WARNING
    logging.getLogger("httpx").setLevel(quiet)
    logging.getLogger("httpcore").setLevel(max(level, logging.INFO))
