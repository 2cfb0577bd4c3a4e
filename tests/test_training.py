import pandas as pd
import pytest
import torch

from recommender.data import DEMO_MOVIE_IDS, IndexedRatings, RatingScale, demo_ratings
from recommender.dataset import RecDataset, batch_loader
from recommender.model import ModelConfig, SimpleRec
from recommender.ranking import Ranker
from recommender.training import TrainConfig, TrainingCancelled, TrainingError, train

SCALE = RatingScale()


def opposite_tastes() -> pd.DataFrame:
    extra = pd.DataFrame(
        [
            (10, 101, 5.0),
            (10, 102, 5.0),
            (10, 103, 1.0),
            (10, 104, 1.0),
            (11, 101, 1.0),
            (11, 102, 1.0),
            (11, 103, 5.0),
            (11, 104, 5.0),
        ],
        columns=["user_id", "movie_id", "rating"],
    )
    return pd.concat([demo_ratings(), extra], ignore_index=True)


def test_dataset_targets_are_scaled():
    dataset = RecDataset(IndexedRatings.from_frame(demo_ratings()), SCALE)
    assert dataset.targets.min() >= 0.0
    assert dataset.targets.max() <= 1.0
    user_row, movie_row, target = dataset[0]
    assert target.item() == pytest.approx(SCALE.to_target(4.0))
    assert user_row.item() == 0
    assert movie_row.item() == 0


def test_batch_loader_covers_every_sample_once():
    dataset = RecDataset(IndexedRatings.from_frame(demo_ratings()), SCALE)
    loader = batch_loader(dataset, batch_size=5, generator=torch.Generator().manual_seed(0))
    batches = list(loader)
    assert len(batches) == len(loader) == 4
    seen = torch.cat([targets for _, _, targets in batches])
    assert sorted(seen.tolist()) == sorted(dataset.targets.tolist())


def test_training_reports_each_epoch():
    losses = []
    result = train(
        IndexedRatings.from_frame(demo_ratings()),
        SCALE,
        train_config=TrainConfig(epochs=7),
        on_epoch=lambda epoch, loss: losses.append((epoch, loss)),
    )
    assert [epoch for epoch, _ in losses] == list(range(1, 8))
    assert result.epoch_losses == [loss for _, loss in losses]
    assert result.final_loss < result.epoch_losses[0]


def test_training_same_seed_same_model():
    ratings = IndexedRatings.from_frame(demo_ratings())
    first = train(ratings, SCALE, train_config=TrainConfig(epochs=5, batch_size=4))
    second = train(ratings, SCALE, train_config=TrainConfig(epochs=5, batch_size=4))
    for left, right in zip(
        first.model.state_dict().values(), second.model.state_dict().values(), strict=True
    ):
        assert torch.equal(left, right)
    assert first.epoch_losses == second.epoch_losses


def test_training_other_seed_other_model():
    ratings = IndexedRatings.from_frame(demo_ratings())
    first = train(ratings, SCALE, train_config=TrainConfig(epochs=2, seed=1))
    second = train(ratings, SCALE, train_config=TrainConfig(epochs=2, seed=2))
    assert first.epoch_losses != second.epoch_losses


def test_training_rejects_empty_data():
    empty = IndexedRatings.from_frame(pd.DataFrame(columns=["user_id", "movie_id", "rating"]))
    with pytest.raises(TrainingError, match="no ratings"):
        train(empty, SCALE)


def test_training_rejects_non_finite_ratings():
    ratings = IndexedRatings.from_frame(demo_ratings())
    poisoned = IndexedRatings(
        ratings.user_ids,
        ratings.movie_ids,
        ratings.user_rows,
        ratings.movie_rows,
        torch.full_like(ratings.ratings, float("nan")),
    )
    with pytest.raises(TrainingError, match="NaN or infinite"):
        train(poisoned, SCALE, train_config=TrainConfig(epochs=2))


def test_training_rejects_diverging_model(monkeypatch):
    def diverged(self, user_vectors, user_biases, movie_vectors, movie_biases):
        return movie_vectors.sum(-1) * float("nan")

    monkeypatch.setattr(SimpleRec, "_combine", diverged)
    ratings = IndexedRatings.from_frame(demo_ratings())
    with pytest.raises(TrainingError, match="non-finite at epoch 1"):
        train(ratings, SCALE, train_config=TrainConfig(epochs=2))


def test_training_stops_when_asked():
    with pytest.raises(TrainingCancelled):
        train(IndexedRatings.from_frame(demo_ratings()), SCALE, should_stop=lambda: True)


def test_single_layer_form_ranks_alike_for_everyone():
    result = train(
        IndexedRatings.from_frame(opposite_tastes()),
        SCALE,
        ModelConfig(hidden_dim=0),
        TrainConfig(epochs=30),
    )
    ranker = Ranker(result, {})
    orders = {
        tuple(item.movie_id for item in ranker.rank(user, DEMO_MOVIE_IDS)) for user in (10, 11)
    }
    assert len(orders) == 1


def test_hidden_layer_gives_opposite_users_opposite_tops():
    result = train(IndexedRatings.from_frame(opposite_tastes()), SCALE)
    ranker = Ranker(result, {})
    top_of_first = ranker.rank(10, DEMO_MOVIE_IDS)[0].movie_id
    top_of_second = ranker.rank(11, DEMO_MOVIE_IDS)[0].movie_id
    assert top_of_first in (101, 102)
    assert top_of_second in (103, 104)


def test_ranker_falls_back_for_unknown_user_and_movie():
    result = train(
        IndexedRatings.from_frame(demo_ratings()), SCALE, train_config=TrainConfig(epochs=2)
    )
    ranker = Ranker(result, {101: 0.9, 999: 0.2})
    unknown_user = ranker.score(42, [101, 102])
    assert [item.personal for item in unknown_user] == [False, False]
    assert unknown_user[0].score == 0.9
    assert unknown_user[1].score == 0.5
    mixed = ranker.score(1, [101, 999])
    assert mixed[0].personal
    assert not mixed[1].personal
    assert mixed[1].score == 0.2


def test_ranker_scores_within_unit_interval():
    result = train(IndexedRatings.from_frame(demo_ratings()), SCALE)
    for item in Ranker(result, {}).score(1, DEMO_MOVIE_IDS):
        assert 0.0 <= item.score <= 1.0


def test_model_config_rejects_bad_sizes():
    with pytest.raises(ValueError, match="embedding_dim"):
        ModelConfig(embedding_dim=0)
    with pytest.raises(ValueError, match="hidden_dim"):
        SimpleRec(2, 2, ModelConfig(hidden_dim=-1))


def test_ranker_survives_pickling():
    import pickle

    result = train(
        IndexedRatings.from_frame(demo_ratings()), SCALE, train_config=TrainConfig(epochs=2)
    )
    ranker = Ranker(result, {101: 0.9}, scale=SCALE)
    copy = pickle.loads(pickle.dumps(ranker))
    assert copy.score(1, [101, 102]) == ranker.score(1, [101, 102])


@pytest.mark.parametrize("hidden_dim", [0, 8])
def test_decay_gives_the_gradient_of_the_squared_rows(hidden_dim):
    torch.manual_seed(0)
    model = SimpleRec(3, 4, ModelConfig(embedding_dim=5, hidden_dim=hidden_dim))
    users = torch.tensor([0, 1, 1, 2, 0])
    movies = torch.tensor([3, 0, 2, 2, 1])
    l2 = 0.3

    model(users, movies, decay=2 * l2).sum().backward()
    decayed = [parameter.grad.clone() for parameter in model.parameters()]
    model.zero_grad()

    predictions = model(users, movies)
    squares = sum(
        table.weight.index_select(0, rows).square().sum()
        for table, rows in (
            (model.user_embedding, users),
            (model.movie_embedding, movies),
            (model.user_bias, users),
            (model.movie_bias, movies),
        )
        if table is not None
    )
    (predictions.sum() + l2 * squares).backward()
    for found, expected in zip(decayed, [p.grad for p in model.parameters()], strict=True):
        torch.testing.assert_close(found, expected)


def test_decay_leaves_the_output_unchanged():
    model = SimpleRec(3, 4, ModelConfig(embedding_dim=5))
    users, movies = torch.tensor([0, 2]), torch.tensor([1, 3])
    torch.testing.assert_close(model(users, movies, decay=0.5), model(users, movies))
