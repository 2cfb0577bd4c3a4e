import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.console import run_console

LINE = re.compile(r"\d+\. Movie #(\d+) [^\n]*?: [01]\.\d{3}")
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def reply_blocks(output: str) -> list[str]:
    return [block for block in output.split("\n\n") if block.strip()]


async def test_console_chat_rates_and_recommends(make_settings):
    output = io.StringIO()
    stream = io.StringIO("/rate 102 5\n\n/recommend all\n/recommend\n/quit\n/help\n")
    assert await run_console(make_settings(), stream, output) == 0
    blocks = reply_blocks(output.getvalue())
    assert blocks[0].startswith("Console chat")
    assert blocks[1].startswith("Saved: movie #102 Demo movie 102 rated 5.")
    assert len(LINE.findall(blocks[2])) == 4
    assert sorted(LINE.findall(blocks[3])) == ["101", "103", "104"]
    assert len(blocks) == 4


async def test_console_chat_ends_at_end_of_input(make_settings):
    output = io.StringIO()
    assert await run_console(make_settings(), io.StringIO("/start\n"), output) == 0
    assert "You are user #6." in output.getvalue()


async def test_console_chat_has_no_flood_limit(make_settings):
    output = io.StringIO()
    stream = io.StringIO("/start\n" * 12)
    assert await run_console(make_settings(flood_limit_commands=1), stream, output) == 0
    assert output.getvalue().count("You are user #6.") == 12
    assert "too fast" not in output.getvalue()


@pytest.mark.e2e
def test_console_chat_as_a_process(tmp_path):
    environment = {
        **os.environ,
        "DATA_DIR": str(tmp_path / "data"),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    completed = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input="/rate 102 5\n/recommend all\n/recommend\n",
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        cwd=tmp_path,
        check=True,
    )
    blocks = reply_blocks(completed.stdout)
    assert len(LINE.findall(blocks[2])) == 4
    assert sorted(LINE.findall(blocks[3])) == ["101", "103", "104"]
    assert "Traceback" not in completed.stderr


class BrokenInput(io.StringIO):
    def readline(self, *args):
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")


async def test_console_chat_ends_on_unreadable_input(make_settings, caplog):
    output = io.StringIO()
    assert await run_console(make_settings(), BrokenInput(), output) == 0
    assert "cannot read the console input" in caplog.text


async def test_console_numbers_press_buttons(make_settings):
    output = io.StringIO()
    stream = io.StringIO("/rate\n2\n11\n4\n/myratings\n1\n")
    assert await run_console(make_settings(), stream, output) == 0
    blocks = reply_blocks(output.getvalue())
    assert blocks[1].startswith("Pick a movie to rate")
    assert "  [1] #" in blocks[1]
    assert blocks[2].startswith("How would you rate #")
    assert "  [10] Haven't seen it" in blocks[2]
    assert blocks[3] == "No button 11: choose 1 to 10."
    assert blocks[4] == "(Saved.)"
    assert blocks[5].startswith("Saved: movie #")
    assert " rated 2.5." in blocks[5]
    assert blocks[6].startswith("Pick a movie to rate")
    assert blocks[7].startswith("Your ratings (1)")
    assert blocks[8] == "I only understand commands. /help lists them."


async def test_console_shows_html_as_text(make_settings):
    output = io.StringIO()
    await run_console(make_settings(), io.StringIO("/rate 102 5\n"), output)
    assert "Saved: movie #102 Demo movie 102 rated 5." in output.getvalue()
