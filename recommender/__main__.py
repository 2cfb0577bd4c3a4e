"""Train SimpleRec on the demo ratings and print one user's predicted scores.

python -m recommender [--epochs N] [--user ID] [--hidden-dim N] [--seed N]
python -m recommender evaluate --ratings PATH [--seed N] [--plot FILE]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from recommender.compare import plot_losses, run_evaluation
from recommender.data import (
    DEMO_MOVIE_IDS,
    MOVIELENS_SCALE,
    IndexedRatings,
    RatingScale,
    demo_ratings,
    user_item_matrix,
)
from recommender.evaluation import read_ratings
from recommender.model import ModelConfig
from recommender.ranking import Ranker, average_rating_scores
from recommender.training import TrainConfig, train


def build_parser() -> argparse.ArgumentParser:
    defaults = TrainConfig()
    model_defaults = ModelConfig()
    parser = argparse.ArgumentParser(
        prog="python -m recommender",
        description="Train SimpleRec on the demo ratings and print one user's scores.",
    )
    parser.add_argument("--epochs", type=int, default=defaults.epochs, help="training epochs")
    parser.add_argument("--user", type=int, default=1, help="user ID to score (1-5)")
    parser.add_argument(
        "--hidden-dim",
        type=int,
        default=model_defaults.hidden_dim,
        help="hidden layer width; 0 gives the single-layer form",
    )
    parser.add_argument("--seed", type=int, default=defaults.seed, help="random seed")
    return parser


def build_evaluate_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m recommender evaluate",
        description="Compare SimpleRec with baselines on a MovieLens ratings.csv.",
    )
    parser.add_argument(
        "--ratings",
        type=Path,
        required=True,
        help="MovieLens ratings.csv, or the folder that contains it",
    )
    parser.add_argument("--seed", type=int, default=42, help="seed of the split and training")
    parser.add_argument("--plot", type=Path, help="write SimpleRec's loss curves to this PNG file")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads (default 1: more threads are slower for these small batches)",
    )
    return parser


def evaluate(argv: list[str]) -> int:
    args = build_evaluate_parser().parse_args(argv)
    if args.threads < 1:
        print(f"error: --threads must be at least 1, got {args.threads}", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    try:
        ratings = read_ratings(args.ratings)
        if args.plot is not None:
            import matplotlib  # noqa: F401
    except (OSError, ValueError) as error:
        print(f"error: cannot read {args.ratings}: {error}", file=sys.stderr)
        return 2
    except ImportError:
        print(
            "error: --plot needs matplotlib: pip install 'movie-recommender-bot[plot]'",
            file=sys.stderr,
        )
        return 2
    try:
        reports = run_evaluation(ratings, MOVIELENS_SCALE, seed=args.seed)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.plot is not None:
        plot_losses(reports, args.plot)
        print(f"\nLoss curves written to {args.plot}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "evaluate":
        return evaluate(argv[1:])
    args = build_parser().parse_args(argv)
    ratings = demo_ratings()
    matrix = user_item_matrix(ratings, DEMO_MOVIE_IDS)
    if args.user not in matrix.index:
        known = ", ".join(str(user) for user in matrix.index)
        print(f"error: unknown user {args.user}; expected one of {known}", file=sys.stderr)
        return 2

    try:
        model_config = ModelConfig(hidden_dim=args.hidden_dim)
        train_config = TrainConfig(epochs=args.epochs, seed=args.seed)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    scale = RatingScale()
    print("Training...")
    trained = train(
        IndexedRatings.from_matrix(matrix),
        scale,
        model_config,
        train_config,
        on_epoch=lambda epoch, loss: print(f"Epoch {epoch}, loss = {loss:.4f}"),
    )

    ranker = Ranker(trained, average_rating_scores(ratings, scale))
    print(f"Predicted scores for user #{args.user}:")
    for scored in ranker.score(args.user, list(matrix.columns)):
        print(f"Movie #{scored.movie_id}: {scored.score:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
