"""Saving and loading a trained SimpleRec with its ID mappings, settings and training facts.

A checkpoint is a ``torch.save`` file that contains plain values only: tensors, numbers,
strings, lists and dicts. ``load`` reads it with ``torch.load(weights_only=True)``, which
rebuilds those values without running code from the file. ``save`` writes a temporary file
in the same folder and renames it over the old one, so a crash leaves either the old
checkpoint or the new one, never a half-written file.
"""

from __future__ import annotations

import dataclasses
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from recommender.model import ModelConfig, SimpleRec
from recommender.training import TrainConfig, TrainResult

__all__ = [
    "FORMAT_VERSION",
    "Checkpoint",
    "CheckpointError",
    "dumps",
    "load",
    "loads",
    "save",
    "write_bytes",
]

FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint file is corrupt, from another format version, or does not fit its model."""


@dataclass(frozen=True)
class Checkpoint:
    """A trained model and the facts about the training that produced it.

    ``revision`` is the ratings revision the model learned; ``version`` counts the models
    trained on this data folder.
    """

    trained: TrainResult
    model_config: ModelConfig
    train_config: TrainConfig
    fallback_scores: dict[int, float]
    revision: int
    rating_count: int
    version: int
    trained_at: float


def _to_state(checkpoint: Checkpoint) -> dict[str, Any]:
    trained = checkpoint.trained
    return {
        "format": FORMAT_VERSION,
        "model_config": dataclasses.asdict(checkpoint.model_config),
        "train_config": dataclasses.asdict(checkpoint.train_config),
        "state_dict": dict(trained.model.state_dict()),
        "user_ids": list(trained.user_ids),
        "movie_ids": list(trained.movie_ids),
        "epoch_losses": list(trained.epoch_losses),
        "seconds": trained.seconds,
        "fallback_movie_ids": list(checkpoint.fallback_scores),
        "fallback_scores": list(checkpoint.fallback_scores.values()),
        "revision": checkpoint.revision,
        "rating_count": checkpoint.rating_count,
        "version": checkpoint.version,
        "trained_at": checkpoint.trained_at,
    }


def _check_ids(name: str, ids: list[int], rows: int) -> tuple[int, ...]:
    if len(ids) != rows or len(set(ids)) != len(ids):
        raise CheckpointError(
            f"{name} do not match the model: {len(ids)} IDs ({len(set(ids))} distinct) "
            f"for {rows} embedding rows"
        )
    return tuple(int(value) for value in ids)


def _from_state(state: dict[str, Any]) -> Checkpoint:
    if state.get("format") != FORMAT_VERSION:
        raise CheckpointError(f"checkpoint format {state.get('format')!r} is not {FORMAT_VERSION}")
    model_config = ModelConfig(**state["model_config"])
    train_config = TrainConfig(**state["train_config"])
    weights = state["state_dict"]
    for name, tensor in weights.items():
        if not torch.isfinite(tensor).all():
            raise CheckpointError(f"checkpoint weight {name} has NaN or infinite values")
    user_rows = weights["user_embedding.weight"].shape[0]
    movie_rows = weights["movie_embedding.weight"].shape[0]
    user_ids = _check_ids("user IDs", state["user_ids"], user_rows)
    movie_ids = _check_ids("movie IDs", state["movie_ids"], movie_rows)

    model = SimpleRec(user_rows, movie_rows, model_config)
    model.load_state_dict(weights, strict=True)
    model.eval()
    trained = TrainResult(
        model=model,
        user_ids=user_ids,
        movie_ids=movie_ids,
        epoch_losses=[float(loss) for loss in state["epoch_losses"]],
        seconds=float(state["seconds"]),
    )
    fallback = dict(zip(state["fallback_movie_ids"], state["fallback_scores"], strict=True))
    return Checkpoint(
        trained=trained,
        model_config=model_config,
        train_config=train_config,
        fallback_scores={int(movie): float(score) for movie, score in fallback.items()},
        revision=int(state["revision"]),
        rating_count=int(state["rating_count"]),
        version=int(state["version"]),
        trained_at=float(state["trained_at"]),
    )


def dumps(checkpoint: Checkpoint) -> bytes:
    buffer = io.BytesIO()
    torch.save(_to_state(checkpoint), buffer)
    return buffer.getvalue()


def loads(data: bytes) -> Checkpoint:
    """Rebuild a checkpoint from bytes; raise ``CheckpointError`` for anything unusable."""
    try:
        state = torch.load(io.BytesIO(data), weights_only=True)
        if not isinstance(state, dict):
            kind = type(state).__name__
            raise CheckpointError(f"invalid checkpoint: expected a dict, got a {kind}")
        return _from_state(state)
    except CheckpointError:
        raise
    except Exception as error:
        # torch raises several types for truncated or foreign files (RuntimeError,
        # UnpicklingError, EOFError ...); a missing key or a shape mismatch adds more.
        raise CheckpointError(f"{type(error).__name__}: {error}") from error


def save(checkpoint: Checkpoint, path: Path) -> None:
    """Write ``checkpoint`` to ``path`` through a temporary file and a rename."""
    write_bytes(dumps(checkpoint), path)


def write_bytes(data: bytes, path: Path) -> None:
    """Write ``data`` to ``path`` atomically: a temporary file, fsync, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def load(path: Path) -> Checkpoint:
    """Read a checkpoint file; raise ``FileNotFoundError`` or ``CheckpointError``."""
    return loads(path.read_bytes())
