"""Training workers: a thread of the bot's process, or one spawned worker process.

Both workers run ``fit(*args, should_stop=..., **kwargs)`` and return its result.
``stop()`` makes ``should_stop`` turn true, so a training stops at the next batch.
``docs/benchmarks.md`` compares the two: the thread shares the interpreter lock with the
event loop, the process does not.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Literal, Protocol

import torch

__all__ = ["ProcessWorker", "ThreadWorker", "TrainingWorker", "WorkerCrashed", "make_worker"]

logger = logging.getLogger(__name__)

WorkerKind = Literal["thread", "process"]

# Set in the worker process by ``_initialise_process``.
_process_stop: Any = None


class WorkerCrashed(RuntimeError):
    """The worker process ended while it was training."""


class TrainingWorker(Protocol):
    async def run(self, fit: Callable[..., Any], *args: Any, **kwargs: Any) -> Any: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


class ThreadWorker:
    """Train in one thread of this process, with torch's process-wide thread count."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trainer")
        self._stop = threading.Event()

    async def run(self, fit: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        call = functools.partial(fit, *args, should_stop=self._stop.is_set, **kwargs)
        return await loop.run_in_executor(self._executor, call)

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._stop.set()
        self._executor.shutdown(wait=True)


def _initialise_process(stop: Any, torch_threads: int) -> None:
    global _process_stop
    _process_stop = stop
    torch.set_num_threads(torch_threads)
    # Ctrl-C reaches the whole process group. The bot decides when a training stops and
    # sets ``stop``; a KeyboardInterrupt here would end the training as a crash instead.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, name="parent-watch", daemon=True).start()


def _exit_with_parent() -> None:
    # A killed bot (SIGKILL, out of memory) cannot shut the pool down, and the worker would
    # wait for work forever. The parent's sentinel becomes ready when the parent ends.
    multiprocessing.connection.wait([multiprocessing.parent_process().sentinel])
    os._exit(1)


def _fit_in_process(call: bytes) -> bytes:
    # Plain pickle copies tensors into the bytes. The default pickler of multiprocessing
    # would pass them through shared memory, which needs this process to stay alive.
    fit, args, kwargs = pickle.loads(call)
    return pickle.dumps(fit(*args, should_stop=_process_stop.is_set, **kwargs))


class ProcessWorker:
    """Train in one spawned process that is started at the first training and then reused.

    ``fit`` and its arguments and result travel by pickle, so ``fit`` must be a module-level
    function. The process is spawned, never forked, so it inherits no threads or sockets.
    """

    def __init__(self, torch_threads: int = 1) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._stop = self._context.Event()
        self._torch_threads = torch_threads
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=1,
                mp_context=self._context,
                initializer=_initialise_process,
                initargs=(self._stop, self._torch_threads),
            )
            logger.info("starting the training worker process")
        return self._executor

    async def run(self, fit: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        # Pickled in a thread: a snapshot of 100,000 ratings takes a few milliseconds.
        call = await asyncio.to_thread(pickle.dumps, (fit, args, kwargs))
        future = self._pool().submit(_fit_in_process, call)
        try:
            pickled = await asyncio.wrap_future(future)
        except BrokenProcessPool as error:
            # The next training starts a fresh process.
            self._executor.shutdown(wait=False)
            self._executor = None
            raise WorkerCrashed("the training process ended unexpectedly") from error
        # The bytes come from this bot's own worker process, never from outside.
        return pickle.loads(pickled)

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        """Stop a running training and wait for the worker process to exit."""
        self._stop.set()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


def make_worker(kind: WorkerKind, torch_threads: int = 1) -> TrainingWorker:
    if kind == "process":
        return ProcessWorker(torch_threads)
    if kind == "thread":
        return ThreadWorker()
    raise ValueError(f"unknown training worker {kind!r}: expected 'thread' or 'process'")
