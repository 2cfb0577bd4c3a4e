import math

import numpy as np
import pandas as pd
import pytest

from recommender.__main__ import main
from recommender.baselines import BiasBaseline, GlobalMean, Popularity
from recommender.evaluation import (
    evaluate_model,
    hit_rate_at_k,
    latest_split,
    ndcg_at_k,
    random_split,
    top_movies,
)
from tests.movielens_files import planted_ratings, write_movielens


def frame(rows):
    return pd.DataFrame(rows, columns=["user_id", "movie_id", "rating", "rated_at"])


def test_ndcg_hand_computed():
    assert ndcg_at_k([5, 6, 7], {5}) == 1.0
    assert ndcg_at_k([6, 5, 7], {5}) == pytest.approx(1 / math.log2(3))
    ideal = 1 + 1 / math.log2(3)
    assert ndcg_at_k([5, 6, 7], {5, 7}) == pytest.approx((1 + 1 / math.log2(4)) / ideal)
    assert ndcg_at_k([1, 2], set()) == 0.0
    assert ndcg_at_k(list(range(20)), {15}, k=10) == 0.0


def test_hit_rate_hand_computed():
    assert hit_rate_at_k([1, 2, 3], {3}) == 1.0
    assert hit_rate_at_k([1, 2, 3], {4}) == 0.0
    assert hit_rate_at_k([1, 2, 3], {3}, k=2) == 0.0


def test_top_movies_breaks_ties_by_id():
    movies = np.arange(100, 0, -1)
    scores = np.zeros(100)
    scores[movies == 50] = 1.0
    assert top_movies(scores, movies, k=3) == [50, 1, 2]


def test_random_split_sizes_and_seed():
    ratings = planted_ratings(users=10, per_user=10)
    training, test = random_split(ratings, 0.1, seed=3)
    assert len(test) == 10
    assert len(training) == 90
    assert set(training.index).isdisjoint(test.index)
    again, _ = random_split(ratings, 0.1, seed=3)
    assert again.index.equals(training.index)


def test_latest_split_holds_out_latest():
    ratings = frame(
        [(1, movie, 4.0, 100 - movie) for movie in range(1, 21)]
        + [(2, 1, 3.0, 5), (2, 2, 3.0, 6)]
        + [(3, 1, 3.0, 5)]
    )
    training, test = latest_split(ratings, 0.1)
    assert sorted(test[test["user_id"] == 1]["movie_id"]) == [1, 2]
    assert test[test["user_id"] == 2]["movie_id"].tolist() == [2]
    assert 3 not in set(test["user_id"])
    assert len(training) + len(test) == len(ratings)


def test_evaluate_model_hand_computed():
    training = frame(
        [(1, 1, 4.0, 0), (2, 1, 2.0, 0), (2, 2, 5.0, 0), (3, 3, 3.0, 0), (3, 1, 3.0, 0)]
    )
    test = frame([(1, 2, 5.0, 1), (1, 3, 4.0, 1), (3, 2, 1.0, 1)])
    catalogue = np.array([1, 2, 3])
    mean = GlobalMean(training)
    scores = evaluate_model(mean, training, test, catalogue)
    errors = np.array([5.0, 4.0, 1.0]) - 3.4
    assert scores.rmse == pytest.approx(np.sqrt(np.mean(errors**2)))
    assert scores.mae == pytest.approx(np.mean(np.abs(errors)))
    # User 1 ranks movies 2 and 3 (tied, so by ID): both relevant, the ideal order.
    assert scores.ndcg == 1.0
    assert scores.hit_rate == 1.0

    popular = evaluate_model(Popularity(training), training, test, catalogue)
    assert popular.rmse is None
    assert popular.distinct_lists == 3


def test_bias_baseline_learns_movie_offsets():
    ratings = planted_ratings(users=40, per_user=20)
    baseline = BiasBaseline(ratings)
    means = ratings.groupby("movie_id")["rating"].mean()
    best, worst = means.idxmax(), means.idxmin()
    predicted = baseline.predict(np.array([1, 1]), np.array([best, worst]))
    assert predicted[0] > predicted[1]


def test_evaluate_cli_prints_both_tables(tmp_path, capsys):
    folder = write_movielens(tmp_path / "ml", planted_ratings(users=40, per_user=15))
    plot = tmp_path / "loss.png"
    assert main(["evaluate", "--ratings", str(folder), "--seed", "3", "--plot", str(plot)]) == 0
    output = capsys.readouterr().out
    assert output.index("Random 90/10 split, seed 3") < output.index("Per-user split")
    for name in ("global mean", "user and movie biases", "popularity", "matrix factorization"):
        assert output.count(name) == 2
    assert output.count("SimpleRec ") == 2
    assert "NDCG@10" in output
    assert plot.read_bytes().startswith(b"\x89PNG")


def test_evaluate_cli_rejects_missing_file(tmp_path, capsys):
    assert main(["evaluate", "--ratings", str(tmp_path / "none.csv")]) == 2
    assert "cannot read" in capsys.readouterr().err
