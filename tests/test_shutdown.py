"""``python -m bot chat`` as a process: SIGTERM finishes the training, saves and exits 0."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from recommender import checkpoint

# These tests start the real bot process.
pytestmark = pytest.mark.e2e

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# The command line of a process that multiprocessing spawned.
WORKER = "spawn_main"


def processes_with_environment(marker: str, command_part: str = "") -> list[int]:
    """Return the IDs of processes whose environment contains ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environment = (entry / "environ").read_bytes()
        except OSError:
            continue
        try:
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in environment and command_part.encode() in command:
            found.append(int(entry.name))
    return found


def start_chat(tmp_path: Path, **settings: str) -> subprocess.Popen:
    environment = {
        **os.environ,
        "DATA_DIR": str(tmp_path / "data"),
        "PYTHONPATH": str(PROJECT_ROOT),
        "TRAIN_WORKER": "process",
        **settings,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "chat"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        cwd=tmp_path,
    )


def test_sigterm_saves_checkpoint_and_leaves_no_process(tmp_path):
    data_dir = tmp_path / "data"
    chat = start_chat(tmp_path, TRAIN_DEBOUNCE_SECONDS="600", SHUTDOWN_TIMEOUT_SECONDS="50")
    try:
        chat.stdin.write("/rate 102 5\n")
        chat.stdin.flush()
        for line in chat.stdout:
            if line.startswith("Saved:"):
                break
        # The rating is stored and its training waits for the debounce: SIGTERM must
        # start it, let it finish and save the checkpoint before the process exits.
        chat.send_signal(signal.SIGTERM)
        _, errors = chat.communicate(timeout=55)
    finally:
        if chat.poll() is None:
            chat.kill()
            chat.wait()
    assert chat.returncode == 0, errors
    assert "Traceback" not in errors
    saved = checkpoint.load(data_dir / "model.pt")
    assert saved.revision == 2
    assert saved.rating_count == 17
    assert wait_for_no_processes(f"DATA_DIR={data_dir}") == []


def wait_for_no_processes(marker: str, timeout: float = 10.0) -> list[int]:
    """Wait until no process has ``marker`` in its environment; return those left."""
    # multiprocessing's resource tracker exits when it reads end of file from the bot,
    # which can be a moment after the bot's own exit.
    deadline = time.monotonic() + timeout
    while (left := processes_with_environment(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def test_killed_bot_leaves_no_worker_process(tmp_path):
    data_dir = tmp_path / "data"
    marker = f"DATA_DIR={data_dir}"
    chat = start_chat(tmp_path, TRAIN_DEBOUNCE_SECONDS="0", TRAIN_EPOCHS="10000")
    try:
        chat.stdin.write("/rate 102 5\n")
        chat.stdin.flush()
        deadline = time.monotonic() + 50
        # Wait until the worker process runs beside the bot, then kill the bot outright.
        while not processes_with_environment(marker, WORKER) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert processes_with_environment(marker, WORKER)
        chat.kill()
        chat.wait(timeout=10)
    finally:
        if chat.poll() is None:
            chat.kill()
            chat.wait()
        chat.stdin.close()
        chat.stdout.close()
        chat.stderr.close()
    assert wait_for_no_processes(marker) == []
