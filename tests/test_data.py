import math

import pandas as pd
import pytest
import torch

from recommender.data import (
    DEMO_MOVIE_IDS,
    IndexedRatings,
    RatingScale,
    demo_ratings,
    user_item_matrix,
)


def frame(rows, with_time=False):
    columns = ["user_id", "movie_id", "rating"] + (["rated_at"] if with_time else [])
    return pd.DataFrame(rows, columns=columns)


def test_demo_data_shape():
    ratings = demo_ratings()
    assert sorted(ratings["user_id"].unique()) == [1, 2, 3, 4, 5]
    assert sorted(ratings["movie_id"].unique()) == list(DEMO_MOVIE_IDS)
    assert ratings["rating"].between(1.0, 5.0).all()


def test_matrix_marks_unrated_with_zero():
    matrix = user_item_matrix(frame([(1, 101, 4.0), (2, 102, 3.0)]), DEMO_MOVIE_IDS)
    assert list(matrix.columns) == [101, 102, 103, 104]
    assert matrix.loc[1, 101] == 4.0
    assert matrix.loc[1, 102] == 0.0
    assert (matrix[104] == 0.0).all()


def test_matrix_rerated_movie_keeps_latest():
    ratings = frame([(1, 101, 2.0, 10.0), (1, 101, 5.0, 20.0), (1, 102, 1.0, 15.0)], True)
    matrix = user_item_matrix(ratings)
    assert matrix.loc[1, 101] == 5.0


def test_matrix_without_timestamps_keeps_last_row():
    matrix = user_item_matrix(frame([(1, 101, 2.0), (1, 101, 4.5)]))
    assert matrix.loc[1, 101] == 4.5


def test_indexed_ratings_match_matrix_cells():
    ratings = demo_ratings()
    from_frame = IndexedRatings.from_frame(ratings)
    from_matrix = IndexedRatings.from_matrix(user_item_matrix(ratings, DEMO_MOVIE_IDS))
    assert from_frame.user_ids == from_matrix.user_ids
    assert from_frame.movie_ids == from_matrix.movie_ids

    def cells(indexed):
        return sorted(
            zip(
                indexed.user_rows.tolist(),
                indexed.movie_rows.tolist(),
                indexed.ratings.tolist(),
                strict=True,
            )
        )

    assert cells(from_frame) == cells(from_matrix)
    assert len(from_frame) == len(ratings)


def test_indexed_ratings_skip_unrated_cells():
    matrix = user_item_matrix(frame([(1, 101, 4.0)]), DEMO_MOVIE_IDS)
    indexed = IndexedRatings.from_matrix(matrix)
    assert len(indexed) == 1
    assert indexed.movie_ids == DEMO_MOVIE_IDS


@pytest.mark.parametrize("rating", [1.0, 1.5, 3.0, 5.0])
def test_scale_accepts_grid_values(rating):
    RatingScale().check(rating)


@pytest.mark.parametrize(
    ("rating", "reason"),
    [
        (0.0, "outside the scale"),
        (6.0, "outside the scale"),
        (4.3, "not a multiple of 0.5"),
        (math.nan, "finite"),
        (math.inf, "finite"),
    ],
)
def test_scale_rejects_off_grid_values(rating, reason):
    with pytest.raises(ValueError, match=reason):
        RatingScale().check(rating)


def test_scale_targets_round_trip():
    scale = RatingScale(0.5, 5.0, 0.5)
    targets = scale.to_target(torch.tensor([0.5, 2.75, 5.0]))
    assert targets.tolist() == [0.0, 0.5, 1.0]
    assert scale.to_rating(0.5) == 2.75
    assert scale.values()[:3] == [0.5, 1.0, 1.5]


def test_scale_rejects_inverted_bounds():
    with pytest.raises(ValueError, match="minimum < maximum"):
        RatingScale(5.0, 1.0, 0.5)


def test_scale_rejects_too_many_steps():
    with pytest.raises(ValueError, match="at most 1000 are allowed"):
        RatingScale(-1e308, 1e308, 1)
    with pytest.raises(ValueError, match="at most 1000 are allowed"):
        RatingScale(1, 5, 1e-320)


def test_scale_snap_and_rescale():
    scale = RatingScale()
    assert scale.snap(4.4999999999) == 4.5
    assert scale.snap(1.0000000004) == 1.0
    assert RatingScale(1, 3, 1).rescale(5.0, scale) == 3.0
    assert RatingScale(1, 3, 1).rescale(2.0, scale) == 1.0
