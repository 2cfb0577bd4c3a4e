import io

import pytest
import torch

from recommender import checkpoint
from recommender.data import IndexedRatings, RatingScale, demo_ratings
from recommender.model import ModelConfig
from recommender.training import TrainConfig, train

SMALL = ModelConfig(embedding_dim=4, hidden_dim=4)
FAST = TrainConfig(epochs=3)


@pytest.fixture
def saved() -> checkpoint.Checkpoint:
    ratings = IndexedRatings.from_frame(demo_ratings())
    trained = train(ratings, RatingScale(), SMALL, FAST)
    return checkpoint.Checkpoint(
        trained=trained,
        model_config=SMALL,
        train_config=FAST,
        fallback_scores={101: 0.5, 102: 0.75},
        revision=3,
        rating_count=len(ratings),
        version=2,
        trained_at=1_700_000_000.0,
    )


def predictions(trained) -> list[float]:
    users = torch.tensor([0, 1, 2, 3])
    movies = torch.tensor([0, 1, 2, 3])
    with torch.inference_mode():
        return trained.model(users, movies).tolist()


def test_round_trip_keeps_model_and_facts(saved, tmp_path):
    path = tmp_path / "model.pt"
    checkpoint.save(saved, path)
    loaded = checkpoint.load(path)
    assert predictions(loaded.trained) == predictions(saved.trained)
    assert loaded.trained.user_ids == saved.trained.user_ids
    assert loaded.trained.movie_ids == saved.trained.movie_ids
    assert loaded.trained.epoch_losses == saved.trained.epoch_losses
    assert loaded.model_config == SMALL
    assert loaded.train_config == FAST
    assert loaded.fallback_scores == {101: 0.5, 102: 0.75}
    assert (loaded.revision, loaded.rating_count, loaded.version) == (3, 16, 2)
    assert loaded.trained_at == saved.trained_at


def test_save_leaves_no_temporary_file(saved, tmp_path):
    path = tmp_path / "model.pt"
    checkpoint.save(saved, path)
    checkpoint.save(saved, path)
    assert [child.name for child in tmp_path.iterdir()] == ["model.pt"]


def test_failed_write_keeps_old_checkpoint(saved, tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    checkpoint.save(saved, path)
    before = path.read_bytes()

    def broken_replace(source, target):
        raise OSError("simulated full disk")

    monkeypatch.setattr(checkpoint.os, "replace", broken_replace)
    with pytest.raises(OSError, match="simulated full disk"):
        checkpoint.save(saved, path)
    assert path.read_bytes() == before
    assert [child.name for child in tmp_path.iterdir()] == ["model.pt"]


@pytest.mark.parametrize("data", [b"", b"not a checkpoint", b"PK\x03\x04" + b"\x00" * 40])
def test_corrupt_bytes_raise_checkpoint_error(data):
    with pytest.raises(checkpoint.CheckpointError):
        checkpoint.loads(data)


def test_truncated_file_raises_checkpoint_error(saved):
    data = checkpoint.dumps(saved)
    with pytest.raises(checkpoint.CheckpointError):
        checkpoint.loads(data[: len(data) // 2])


class Payload:
    """An arbitrary class: unpickling it would run code from the file."""


def test_pickled_object_is_not_loaded():
    buffer = io.BytesIO()
    torch.save({"format": checkpoint.FORMAT_VERSION, "payload": Payload()}, buffer)
    with pytest.raises(checkpoint.CheckpointError, match=r"Unpickling|weights_only"):
        checkpoint.loads(buffer.getvalue())


def rewritten(saved, **changes) -> bytes:
    state = torch.load(io.BytesIO(checkpoint.dumps(saved)), weights_only=True)
    state.update(changes)
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def test_other_format_version_is_rejected(saved):
    with pytest.raises(checkpoint.CheckpointError, match="format 99"):
        checkpoint.loads(rewritten(saved, format=99))


def test_ids_that_do_not_match_rows_are_rejected(saved):
    users = list(saved.trained.user_ids)
    with pytest.raises(checkpoint.CheckpointError, match="user IDs"):
        checkpoint.loads(rewritten(saved, user_ids=users[:-1]))
    with pytest.raises(checkpoint.CheckpointError, match="user IDs"):
        checkpoint.loads(rewritten(saved, user_ids=[users[0]] * len(users)))


def test_other_model_sizes_are_rejected(saved):
    wider = {"embedding_dim": 6, "hidden_dim": 4}
    with pytest.raises(checkpoint.CheckpointError, match="size mismatch"):
        checkpoint.loads(rewritten(saved, model_config=wider))


def test_unknown_setting_is_rejected(saved):
    settings = {"embedding_dim": 4, "hidden_dim": 4, "attention_heads": 2}
    with pytest.raises(checkpoint.CheckpointError, match="attention_heads"):
        checkpoint.loads(rewritten(saved, model_config=settings))


def test_non_finite_weights_are_rejected(saved):
    weights = {name: tensor.clone() for name, tensor in saved.trained.model.state_dict().items()}
    weights["movie_embedding.weight"][0, 0] = float("nan")
    with pytest.raises(checkpoint.CheckpointError, match="NaN or infinite"):
        checkpoint.loads(rewritten(saved, state_dict=weights))
