import math

import numpy as np
import pandas as pd
import pytest
import torch

from recommender.data import MOVIELENS_SCALE, IndexedRatings, user_item_matrix
from recommender.dataset import RecDataset
from recommender.model import ModelConfig
from recommender.ranking import Ranker, RankingConfig
from recommender.training import (
    TrainConfig,
    held_out_mask,
    split_validation,
    train,
    warm_start,
)
from tests.movielens_files import planted_ratings

SMALL = ModelConfig(embedding_dim=8, hidden_dim=8)
FAST = TrainConfig(epochs=30, batch_size=128, learning_rate=0.02)


@pytest.fixture(scope="module")
def planted() -> pd.DataFrame:
    return planted_ratings(users=60, movies=40, per_user=20)


def rmse(trained, test: pd.DataFrame) -> float:
    users = pd.Index(trained.user_ids).get_indexer(test["user_id"])
    movies = pd.Index(trained.movie_ids).get_indexer(test["movie_id"])
    with torch.inference_mode():
        scores = trained.model(torch.as_tensor(users), torch.as_tensor(movies)).numpy()
    errors = MOVIELENS_SCALE.to_rating(scores) - test["rating"].to_numpy()
    return float(np.sqrt(np.mean(errors**2)))


def test_triples_train_like_matrix(planted):
    ordered = planted.sort_values(["user_id", "movie_id"]).drop(columns="rated_at")
    from_frame = train(IndexedRatings.from_frame(ordered), MOVIELENS_SCALE, SMALL, FAST)
    matrix = user_item_matrix(ordered)
    from_matrix = train(IndexedRatings.from_matrix(matrix), MOVIELENS_SCALE, SMALL, FAST)
    assert from_frame.epoch_losses == from_matrix.epoch_losses
    for name, value in from_frame.model.state_dict().items():
        assert torch.equal(value, from_matrix.model.state_dict()[name]), name


def test_early_stopping_keeps_best_epoch(planted):
    config = TrainConfig(epochs=200, batch_size=64, learning_rate=0.05, l2=0.0, patience=2)
    trained = train(IndexedRatings.from_frame(planted), MOVIELENS_SCALE, SMALL, config)
    losses = trained.validation_losses
    assert len(trained.epoch_losses) < 200
    assert len(losses) == len(trained.epoch_losses)
    assert len(losses) - trained.best_epoch == 2
    assert min(losses) == losses[trained.best_epoch - 1]


def test_small_data_skips_validation():
    dataset = RecDataset(
        IndexedRatings.from_frame(planted_ratings(users=10, per_user=4)), MOVIELENS_SCALE
    )
    training, validation = split_validation(dataset, 0.1, torch.Generator().manual_seed(0))
    assert validation is None
    assert len(training) == 40


def test_simplerec_beats_global_mean(planted):
    order = np.random.default_rng(1).permutation(len(planted))
    held_out = planted.iloc[order[:120]]
    training = planted.iloc[order[120:]]
    trained = train(IndexedRatings.from_frame(training), MOVIELENS_SCALE, SMALL, FAST)
    mean_error = np.sqrt(np.mean((held_out["rating"] - training["rating"].mean()) ** 2))
    assert rmse(trained, held_out) < 0.75 * mean_error


def test_warm_start_keeps_known_rows(planted):
    first = train(IndexedRatings.from_frame(planted), MOVIELENS_SCALE, SMALL, FAST)
    grown = pd.concat(
        [planted, pd.DataFrame([(999, 1, 5.0, 0), (1, 41, 4.0, 0)], columns=planted.columns)]
    )
    ratings = IndexedRatings.from_frame(grown)
    model = type(first.model)(len(ratings.user_ids), len(ratings.movie_ids), SMALL)
    model.reset_parameters(torch.Generator().manual_seed(5))
    warm_start(model, first, ratings)

    assert ratings.user_ids[-1] == 999
    assert ratings.movie_ids[-1] == 41
    old_users, old_movies = len(first.user_ids), len(first.movie_ids)
    assert torch.equal(model.user_embedding.weight[:old_users], first.model.user_embedding.weight)
    assert torch.equal(model.movie_bias.weight[:old_movies], first.model.movie_bias.weight)
    assert not torch.equal(model.user_embedding.weight[-1], first.model.user_embedding.weight[-1])
    for name, value in first.model.head.state_dict().items():
        assert torch.equal(model.head.state_dict()[name], value)


def test_warm_retrain_starts_ahead(planted):
    first = train(IndexedRatings.from_frame(planted), MOVIELENS_SCALE, SMALL, FAST)
    grown = IndexedRatings.from_frame(
        pd.concat([planted, pd.DataFrame([(1, 40, 4.0, 0)], columns=planted.columns)])
    )
    cold = train(grown, MOVIELENS_SCALE, SMALL, FAST)
    warm = train(grown, MOVIELENS_SCALE, SMALL, FAST, previous=first)
    assert warm.validation_losses[0] < cold.validation_losses[0]


def test_fold_in_moves_score_toward_rating(planted):
    trained = train(IndexedRatings.from_frame(planted), MOVIELENS_SCALE, SMALL, FAST)
    ranker = Ranker.for_ratings(trained, planted, MOVIELENS_SCALE)
    user_ratings = dict(planted[planted["user_id"] == 2][["movie_id", "rating"]].values)
    unrated = next(movie for movie in range(1, 41) if movie not in user_ratings)
    before = ranker.score(2, [unrated])[0]
    parameters = {name: value.clone() for name, value in trained.model.state_dict().items()}

    user_ratings[unrated] = 0.5 if before.predicted > 2.75 else 5.0
    assert ranker.fold_in(2, user_ratings)
    after = ranker.score(2, [unrated])[0]
    assert abs(after.predicted - user_ratings[unrated]) < abs(
        before.predicted - user_ratings[unrated]
    )
    for name, value in trained.model.state_dict().items():
        assert torch.equal(value, parameters[name]), name


def test_fold_in_gives_new_user_a_vector(planted):
    trained = train(IndexedRatings.from_frame(planted), MOVIELENS_SCALE, SMALL, FAST)
    ranker = Ranker.for_ratings(trained, planted, MOVIELENS_SCALE)
    assert not ranker.knows_user(5000)
    assert not ranker.fold_in(5000, {777: 4.0})
    assert ranker.fold_in(5000, {2: 5.0, 4: 5.0, 1: 0.5, 3: 0.5})
    assert ranker.knows_user(5000)
    evens = [item.predicted for item in ranker.score(5000, [6, 8, 10])]
    odds = [item.predicted for item in ranker.score(5000, [5, 7, 9])]
    assert min(evens) > max(odds)


def test_prior_lifts_popular_movies():
    ratings = pd.DataFrame(
        [(user, 1, 3.0) for user in range(1, 21)] + [(1, 2, 5.0)],
        columns=["user_id", "movie_id", "rating"],
    )
    plain = Ranker.for_ratings(None, ratings, MOVIELENS_SCALE)
    blended = Ranker.for_ratings(None, ratings, MOVIELENS_SCALE, RankingConfig(0.6))
    assert [item.movie_id for item in plain.rank(99, [1, 2])] == [2, 1]
    assert [item.movie_id for item in blended.rank(99, [1, 2])] == [1, 2]
    top = blended.rank(99, [1, 2])[0]
    assert top.predicted == 3.0
    assert top.score == pytest.approx(0.4 * MOVIELENS_SCALE.to_target(3.0) + 0.6)
    assert all(0 <= item.score <= 1 for item in blended.rank(99, [1, 2, 3]))
    assert not math.isnan(blended.rank(99, [3])[0].score)


def test_held_out_cells_depend_on_ids_only(planted):
    mask = held_out_mask(IndexedRatings.from_frame(planted), 0.1, 42)
    assert 0.05 < float(mask.float().mean()) < 0.15
    extra = pd.DataFrame([(999, movie, 3.0, 0) for movie in range(1, 30)], columns=planted.columns)
    grown = pd.concat([extra, planted]).sample(frac=1.0, random_state=3)
    grown_ratings = IndexedRatings.from_frame(grown)
    grown_mask = held_out_mask(grown_ratings, 0.1, 42)

    def marked(ratings, held_out):
        users = np.asarray(ratings.user_ids)[ratings.user_rows.numpy()]
        movies = np.asarray(ratings.movie_ids)[ratings.movie_rows.numpy()]
        return set(zip(users[held_out.numpy()], movies[held_out.numpy()], strict=True))

    first = marked(IndexedRatings.from_frame(planted), mask)
    assert first == {cell for cell in marked(grown_ratings, grown_mask) if cell[0] != 999}
    assert held_out_mask(IndexedRatings.from_frame(planted), 0.1, 7).tolist() != mask.tolist()


def test_batch_fold_in_matches_one_by_one(planted):
    trained = train(IndexedRatings.from_frame(planted), MOVIELENS_SCALE, SMALL, FAST)
    ratings = {
        user: dict(planted[planted["user_id"] == user][["movie_id", "rating"]].values)
        for user in (2, 3, 5000)
    }
    ratings[5000] = {2: 5.0, 3: 1.0}
    together = Ranker.for_ratings(trained, planted, MOVIELENS_SCALE)
    assert together.fold_in_many(ratings) == {2, 3, 5000}
    for user, user_ratings in ratings.items():
        alone = Ranker.for_ratings(trained, planted, MOVIELENS_SCALE)
        assert alone.fold_in(user, user_ratings)
        for batch, single in zip(
            together.score(user, range(1, 41)), alone.score(user, range(1, 41)), strict=True
        ):
            assert batch.predicted == pytest.approx(single.predicted, abs=1e-4)


def test_warm_start_fits_new_movie_row(planted):
    first = train(IndexedRatings.from_frame(planted), MOVIELENS_SCALE, SMALL, FAST)
    raters = sorted(planted["user_id"].unique())[:30]
    new = pd.DataFrame([(user, 41, 5.0, 0) for user in raters], columns=planted.columns)
    grown = pd.concat([planted, new], ignore_index=True)
    # A retrain that hardly moves, as when early stopping keeps the starting model.
    still = TrainConfig(epochs=1, learning_rate=1e-6)
    warm = train(IndexedRatings.from_frame(grown), MOVIELENS_SCALE, SMALL, still, previous=first)
    ranker = Ranker.for_ratings(warm, grown, MOVIELENS_SCALE)
    assert max(ranker.score(user, [41])[0].predicted for user in raters) < 4.0
    assert ranker.refit_movie_rows(grown, [41]) == 1
    predicted = [ranker.score(user, [41])[0].predicted for user in raters]
    assert min(predicted) > 4.0
