"""``python -m bot chat`` as a process: SIGTERM finishes the training, saves and exits 0."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from recommender import checkpoint

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def processes_with_environment(marker: str) -> list[int]:
    """Return the IDs of processes whose environment contains ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environment = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker.encode() in environment:
            found.append(int(entry.name))
    return found


def test_sigterm_saves_checkpoint_and_leaves_no_process(tmp_path):
    data_dir = tmp_path / "data"
    environment = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "PYTHONPATH": str(PROJECT_ROOT),
        "TRAIN_WORKER": "process",
        "TRAIN_DEBOUNCE_SECONDS": "600",
        "SHUTDOWN_TIMEOUT_SECONDS": "50",
    }
    chat = subprocess.Popen(
        [sys.executable, "-m", "bot", "chat"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        cwd=tmp_path,
    )
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
