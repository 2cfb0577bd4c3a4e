"""The console chat: the real Application and handlers, with the terminal as the chat.

Each input line is a message from one local user, and every message the bot sends is
printed, with its inline buttons as numbered choices. When the bot's latest message has
buttons, a line holding just a number presses that button; any other line is a message.
The Bot API is ``LocalBotApi``, so no token or network is needed. End the chat with
Ctrl-D or ``/quit``; SIGINT and SIGTERM end it the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
import signal
import sys
import threading
from typing import TextIO

from telegram import Update

from bot.app import build_application, start_services, stop_services
from bot.config import Settings
from bot.flood import FLOOD_GUARD_KEY
from bot.transport import ApiCall, LocalBotApi
from bot.updates import callback_query_update, message_update

__all__ = ["run_console"]

logger = logging.getLogger(__name__)

QUIT_COMMAND = "/quit"
BUTTON_NUMBER = re.compile(r"[0-9]{1,3}", re.ASCII)
HTML_TAG = re.compile(r"<[^>]*>")


def _read_lines(stream: TextIO, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue) -> None:
    # A daemon thread, so that a blocked readline never delays the interpreter's exit.
    try:
        for line in iter(stream.readline, ""):
            loop.call_soon_threadsafe(queue.put_nowait, line)
    except (OSError, ValueError) as error:
        logger.error("cannot read the console input, ending the chat: %s", error)
    finally:
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(queue.put_nowait, None)


def plain_text(text: str, parse_mode: str | None) -> str:
    """Render an HTML message as the plain text a Telegram client would show."""
    if parse_mode != "HTML":
        return text
    return html.unescape(HTML_TAG.sub("", text))


def _format_call(call: ApiCall) -> str | None:
    parameters = call.parameters
    if call.method in ("sendMessage", "editMessageText"):
        lines = [plain_text(parameters["text"], parameters.get("parse_mode"))]
        rows = parameters.get("reply_markup", {}).get("inline_keyboard", [])
        buttons = [button["text"] for row in rows for button in row]
        lines.extend(f"  [{number}] {label}" for number, label in enumerate(buttons, start=1))
        return "\n".join(lines)
    if call.method == "sendDocument":
        filename, content = call.files.get("document", ("file", b""))
        caption = parameters.get("caption", "")
        return f"{caption}\n[{filename}]\n{content.decode('utf-8-sig', 'replace').rstrip()}"
    if call.method == "answerCallbackQuery" and parameters.get("text"):
        return f"({parameters['text']})"
    return None


def _printer(output: TextIO):
    def print_call(call: ApiCall) -> None:
        text = _format_call(call)
        if text is not None:
            print(text, file=output, flush=True)
            print(file=output, flush=True)

    return print_call


def _update_for_line(text: str, api: LocalBotApi, output: TextIO) -> dict | None:
    """Return the update a line stands for: a button press or a message."""
    latest = api.last_keyboard()
    if latest is None or not BUTTON_NUMBER.fullmatch(text):
        return message_update(text)
    message, buttons = latest
    number = int(text)
    if not 1 <= number <= len(buttons):
        print(f"No button {number}: choose 1 to {len(buttons)}.\n", file=output, flush=True)
        return None
    return callback_query_update(buttons[number - 1]["callback_data"], message)


async def run_console(
    settings: Settings, stream: TextIO = sys.stdin, output: TextIO = sys.stdout
) -> int:
    """Chat with the bot over ``stream`` and ``output`` until end of input or ``/quit``."""
    if "train_worker" not in settings.model_fields_set:
        # One local user has no other chats to keep responsive, and a thread skips the
        # seconds a worker process needs to start and import torch.
        settings = settings.model_copy(update={"train_worker": "thread"})
    api = LocalBotApi(on_call=_printer(output))
    application = build_application(settings, request=api)
    # One local user who may paste many commands at once: the flood limit is for Telegram.
    del application.bot_data[FLOOD_GUARD_KEY]
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str | None] = asyncio.Queue()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, lines.put_nowait, None)
    threading.Thread(
        target=_read_lines, args=(stream, loop, lines), name="console-input", daemon=True
    ).start()

    await application.initialize()
    await start_services(application)
    print(
        "Console chat: type /help to start, /quit or Ctrl-D to end.\n",
        file=output,
        flush=True,
    )
    try:
        while (line := await lines.get()) is not None:
            text = line.strip()
            if text == QUIT_COMMAND:
                break
            data = _update_for_line(text, api, output) if text else None
            if data is not None:
                await application.process_update(Update.de_json(data, application.bot))
    finally:
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signal_number)
        await stop_services(application)
        await application.shutdown()
    return 0
