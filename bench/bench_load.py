"""Load benchmark: the real ``python -m bot`` process driven through the loopback Bot API.

Simulated users send commands at a fixed target rate (an open loop: sending never waits
for replies). For each run the benchmark reports the updates answered per second, the
p50, p95 and p99 time from an update becoming available to ``getUpdates`` until its reply
reaches ``sendMessage``, the errors (no reply, or the apology for an unexpected error),
whether each user's replies came in order, how many acknowledged ratings are missing from
the database afterwards, and the bot process's CPU time per answered update (from /proc,
so Linux only; a training worker process is not included).

Scenarios: ``idle`` sends /start, /help and /recommend, which start no training;
``training`` makes half of the commands /rate, so a retraining runs all the time.

Run from the repository root, on a machine with nothing else busy if possible:

    .venv/bin/python bench/bench_load.py --rate 300 --seconds 20
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import random
import re
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import DATABASE_NAME
from tests.bot_process import TOKEN, BotProcess, bot_environment
from tests.loopback_api import LoopbackBotApi

MOVIES = (101, 102, 103, 104)
SAVED = re.compile(r"Saved: movie #(\d+)\b.*? rated (\d+(?:\.\d+)?)")
APOLOGY = "Sorry, something went wrong"
# Each command's text, and texts of which its reply contains one.
KINDS = {
    "start": ("/start", ("user #",)),
    "help": ("/help", ("/rate <movie_id> <rating>",)),
    "recommend": ("/recommend", ("Movie #", "rated every movie")),
}


@dataclass
class Sent:
    kind: str
    text: str
    at: float


@dataclass
class RunResult:
    transport: str
    scenario: str
    target_rate: float
    sent: int
    answered: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    out_of_order: int = 0
    lost_ratings: int = 0
    trainings: int = 0
    cpu_seconds: float = 0.0

    def percentile(self, share: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    def row(self) -> str:
        return (
            f"| {self.transport} | {self.scenario} | {self.target_rate:.0f} "
            f"| {self.answered / self.seconds:.0f} | {self.percentile(0.50):.0f} "
            f"| {self.percentile(0.95):.0f} | {self.percentile(0.99):.0f} | {self.errors} "
            f"| {self.out_of_order} | {self.lost_ratings} | {self.trainings} "
            f"| {1000 * self.cpu_seconds / max(self.answered, 1):.2f} |"
        )


def command(scenario: str, chooser: random.Random) -> tuple[str, str]:
    """Return (kind, text) of the next command in a scenario."""
    if scenario == "training" and chooser.random() < 0.5:
        movie = chooser.choice(MOVIES)
        rating = chooser.randrange(2, 11) / 2
        return "rate", f"/rate {movie} {rating:g}"
    kind = chooser.choices(["start", "help", "recommend"], weights=[1, 1, 3])[0]
    return kind, KINDS[kind][0]


def cpu_seconds(pid: int) -> float:
    """Return the user and system CPU time a process has used, from /proc (Linux only)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def users(args: argparse.Namespace) -> list[int]:
    return [20_000 + number for number in range(args.users)]


def drive(api: LoopbackBotApi, args: argparse.Namespace, scenario: str) -> dict[int, list[Sent]]:
    """Send commands at the target rate for the run's duration; return them per user."""
    chooser = random.Random(args.seed)
    sent: dict[int, list[Sent]] = {user: [] for user in users(args)}
    total = int(args.rate * args.seconds)
    start = time.monotonic()
    for number, user in zip(range(total), itertools.cycle(users(args)), strict=False):
        delay = start + number / args.rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        kind, text = command(scenario, chooser)
        sent[user].append(Sent(kind, text, time.monotonic()))
        api.send(text, user_id=user)
    return sent


def replies_by_user(api: LoopbackBotApi) -> dict[int, list[tuple[str, float]]]:
    replies: dict[int, list[tuple[str, float]]] = {}
    for call in api.answered("sendMessage"):
        replies.setdefault(call.chat_id(), []).append((call.text(), call.at))
    return replies


def matches(sent: Sent, reply: str) -> bool:
    if sent.kind == "rate":
        match = SAVED.match(reply)
        return match is not None and sent.text == f"/rate {match[1]} {float(match[2]):g}"
    return any(marker in reply for marker in KINDS[sent.kind][1])


def stored_ratings(data_dir: Path) -> dict[tuple[int, int], float]:
    connection = sqlite3.connect(data_dir / DATABASE_NAME)
    try:
        rows = connection.execute(
            "SELECT u.telegram_id, r.movie_id, r.rating FROM ratings r "
            "JOIN users u USING (user_id) WHERE u.source = 'chat'"
        ).fetchall()
    finally:
        connection.close()
    return {(int(user), int(movie)): float(rating) for user, movie, rating in rows}


def evaluate(result: RunResult, sent: dict, replies: dict, data_dir: Path) -> None:
    acknowledged: dict[tuple[int, int], float] = {}
    for user, commands in sent.items():
        answers = replies.get(user, [])[1:]  # after the warm-up /start reply
        for index, command_sent in enumerate(commands):
            if index >= len(answers):
                result.errors += 1
                continue
            text, at = answers[index]
            result.latencies.append(at - command_sent.at)
            if APOLOGY in text:
                result.errors += 1
            elif not matches(command_sent, text):
                result.out_of_order += 1
            elif command_sent.kind == "rate":
                match = SAVED.match(text)
                acknowledged[(user, int(match[1]))] = float(match[2])
    stored = stored_ratings(data_dir)
    result.lost_ratings = sum(stored.get(key) != value for key, value in acknowledged.items())


def run(args: argparse.Namespace, transport: str, scenario: str) -> RunResult:
    api = LoopbackBotApi(TOKEN).start()
    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    data_dir = workdir / "data"
    environment = bot_environment(
        api,
        data_dir,
        HTTP_TRANSPORT=transport,
        LOG_LEVEL="INFO",
        TRAIN_EPOCHS=str(args.train_epochs),
        MODEL_EMBEDDING_DIM="16",
        MODEL_HIDDEN_DIM="32",
        RECOMMEND_WAIT_SECONDS="0",
        POLL_TIMEOUT_SECONDS="10",
        REQUEST_TIMEOUT_SECONDS="10",
        TORCH_THREADS=str(args.torch_threads),
        TRAIN_WORKER=args.train_worker,
        # The loopback server has no limits: only the bot's own latency is measured.
        RATE_LIMIT_OVERALL_PER_SECOND="100000",
        FLOOD_LIMIT_COMMANDS="1000",
        # Under a steady stream of ratings the debounce would hold every training back
        # until the maximum staleness; without it trainings run back to back.
        TRAIN_DEBOUNCE_SECONDS=str(args.train_debounce),
    )
    bot = BotProcess(environment, workdir)
    try:
        api.wait_for_call("getUpdates", timeout=120)
        # Warm-up: let the first training finish and register every user, so that the
        # clock measures the steady state, not the burst of first-time registrations.
        api.ask("/help", user_id=1, timeout=120)
        deadline = time.monotonic() + 120
        while "training run 1 done" not in bot.output() and time.monotonic() < deadline:
            time.sleep(0.1)
        for user in users(args):
            api.send("/start", user_id=user)
        warm = args.users + 1
        api.wait_for(lambda: api.messages_sent >= warm, args.drain)
        cpu_before = cpu_seconds(bot.pid)
        sent = drive(api, args, scenario)
        expected = sum(map(len, sent.values())) + warm
        start = min(entry.at for entries in sent.values() for entry in entries)
        with contextlib.suppress(TimeoutError):
            api.wait_for(lambda: api.messages_sent >= expected, args.drain)
        cpu_used = cpu_seconds(bot.pid) - cpu_before
        replies = replies_by_user(api)
        last = max((at for answers in replies.values() for _, at in answers), default=start)
    finally:
        bot.stop()
        api.stop()
    result = RunResult(
        transport,
        scenario,
        args.rate,
        sent=expected - warm,
        answered=sum(map(len, replies.values())) - warm,
        seconds=max(last - start, 1e-9),
    )
    evaluate(result, sent, replies, data_dir)
    result.trainings = bot.output().count("training run")
    result.cpu_seconds = cpu_used
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=300, help="updates per second to send")
    parser.add_argument("--seconds", type=float, default=20, help="length of each run")
    parser.add_argument("--users", type=int, default=200, help="simulated users")
    parser.add_argument("--transports", default="aiohttp,httpx", help="HTTP_TRANSPORT values")
    parser.add_argument("--scenarios", default="idle,training", help="idle, training or both")
    parser.add_argument("--train-epochs", type=int, default=60, help="TRAIN_EPOCHS of the bot")
    parser.add_argument("--torch-threads", type=int, default=1, help="TORCH_THREADS of the bot")
    parser.add_argument(
        "--train-worker", default="process", help="TRAIN_WORKER of the bot: process or thread"
    )
    parser.add_argument(
        "--train-debounce",
        type=float,
        default=0.0,
        help="TRAIN_DEBOUNCE_SECONDS of the bot (default 0: retrain after every change)",
    )
    parser.add_argument("--drain", type=float, default=60, help="seconds to wait for replies")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    print(
        "| transport | scenario | target/s | answered/s | p50 ms | p95 ms | p99 ms | errors "
        "| out of order | lost ratings | trainings | CPU ms/update |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for scenario in args.scenarios.split(","):
        for transport in args.transports.split(","):
            print(run(args, transport, scenario).row(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
