"""The console chat: the real Application and handlers, with the terminal as the chat.

Each input line is a message from one local user, and every message the bot sends is
printed. The Bot API is ``LocalBotApi``, so no token or network is needed. End the chat
with Ctrl-D or ``/quit``; SIGINT and SIGTERM end it the same way.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
from typing import TextIO

from telegram import Update

from bot.app import build_application, start_services, stop_services
from bot.config import Settings
from bot.flood import FLOOD_GUARD_KEY
from bot.transport import ApiCall, LocalBotApi
from bot.updates import message_update

__all__ = ["run_console"]

QUIT_COMMAND = "/quit"


def _read_lines(stream: TextIO, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue) -> None:
    # A daemon thread, so that a blocked readline never delays the interpreter's exit.
    for line in iter(stream.readline, ""):
        loop.call_soon_threadsafe(queue.put_nowait, line)
    loop.call_soon_threadsafe(queue.put_nowait, None)


def _printer(output: TextIO):
    def print_call(call: ApiCall) -> None:
        if call.method == "sendMessage":
            print(call.parameters["text"], file=output, flush=True)
            print(file=output, flush=True)

    return print_call


async def run_console(
    settings: Settings, stream: TextIO = sys.stdin, output: TextIO = sys.stdout
) -> int:
    """Chat with the bot over ``stream`` and ``output`` until end of input or ``/quit``."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str | None] = asyncio.Queue()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, lines.put_nowait, None)
    threading.Thread(
        target=_read_lines, args=(stream, loop, lines), name="console-input", daemon=True
    ).start()

    application = build_application(settings, request=LocalBotApi(on_call=_printer(output)))
    # One local user who may paste many commands at once: the flood limit is for Telegram.
    del application.bot_data[FLOOD_GUARD_KEY]
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
            if text:
                update = Update.de_json(message_update(text), application.bot)
                await application.process_update(update)
    finally:
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signal_number)
        await stop_services(application)
        await application.shutdown()
    return 0
