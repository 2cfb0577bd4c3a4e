from bot.status import status_text
from bot.trainer import ModelVersion, TrainerStatus
from recommender.data import IndexedRatings, RatingScale, demo_ratings
from recommender.ranking import Ranker
from recommender.training import TrainConfig, train

ONE = TrainConfig(epochs=1)

TRAINED_AT = 1_764_860_000.0


def state(current=None, **fields) -> TrainerStatus:
    values = {
        "current": current,
        "running": False,
        "pending": False,
        "runs": 1,
        "last_error": None,
        "last_error_at": None,
    }
    values.update(fields)
    return TrainerStatus(**values)


def trained_version() -> ModelVersion:
    trained = train(IndexedRatings.from_frame(demo_ratings()), RatingScale(), train_config=ONE)
    ranker = Ranker(trained, {})
    return ModelVersion(ranker, 7, 120, 60, 0.42131, 1.26, TRAINED_AT, version=3)


def test_status_of_trained_model():
    text = status_text(state(trained_version()), 125, now=TRAINED_AT + 150)
    lines = text.splitlines()
    assert lines[0] == "Model version 3, trained 2025-12-04 14:53:20 UTC (2 min ago)."
    assert lines[1] == "Ratings learned: 120 of 125 stored."
    assert lines[2] == "Last loss: 0.4213 after 60 epochs in 1.3 s."
    assert lines[3] == "Training: idle."
    assert len(lines) == 4


def test_status_before_first_model():
    text = status_text(state(running=True), 16)
    assert text.startswith("No model yet: the first training is under way")
    assert "Stored ratings: 16." in text
    assert text.endswith("Training: running now.")


def test_status_of_fallback_ranking():
    fallback = ModelVersion(Ranker(None, {}), 1, 0, 0, None, 0.0, TRAINED_AT, version=1)
    text = status_text(state(fallback), 0)
    assert text.startswith("No trained model: too little data to train (0 ratings")
    assert "ranks movies by average rating" in text


def test_status_reports_last_error():
    failed = state(
        trained_version(),
        pending=True,
        last_error="TrainingError: loss became nan at epoch 3",
        last_error_at=TRAINED_AT,
    )
    lines = status_text(failed, 125, now=TRAINED_AT).splitlines()
    assert lines[3] == "Training: waiting to retry after the error below."
    assert lines[4] == (
        "Last training error (2025-12-04 14:53:20 UTC): TrainingError: loss became nan at epoch 3"
    )


def test_status_while_debouncing():
    text = status_text(state(trained_version(), pending=True), 126, now=TRAINED_AT)
    assert text.endswith("Training: starting soon, waiting for more ratings.")


def test_status_after_deletions_says_fewer_stored():
    lines = status_text(state(trained_version()), 100, now=TRAINED_AT + 150).splitlines()
    assert lines[1] == "Ratings learned: 120; 100 stored now."
