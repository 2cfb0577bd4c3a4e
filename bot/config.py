"""Settings read from the environment and ``.env`` by pydantic-settings.

Every setting is listed in ``.env.example`` with its unit and default. The token is a
``SecretStr``: ``repr()`` and ``str()`` show asterisks, and validation errors never echo an
input value.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from recommender.data import RatingScale
from recommender.foldin import FoldInConfig
from recommender.model import ModelConfig
from recommender.ranking import RankingConfig
from recommender.training import TrainConfig

__all__ = ["TOKEN_VARIABLE", "WEBHOOK_VARIABLES", "Settings", "check_webhook_settings"]

TOKEN_VARIABLE = "TELEGRAM_BOT_TOKEN"
WEBHOOK_VARIABLES = ("WEBHOOK_URL", "WEBHOOK_LISTEN", "WEBHOOK_PORT", "WEBHOOK_SECRET_TOKEN")
# Telegram accepts 1-256 characters from this set in a webhook's secret token.
SECRET_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_MODEL = ModelConfig()
_TRAIN = TrainConfig()
_RANKING = RankingConfig()


class Settings(BaseSettings):
    """Bot configuration. Field names map to upper-case environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        hide_input_in_errors=True,
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    data_dir: Path = Path("data")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    bot_mode: Literal["polling", "webhook"] = "polling"

    rating_min: float = 1.0
    rating_max: float = 5.0
    rating_step: float = 0.5
    load_demo_data: bool = True

    recommend_limit: int = Field(10, ge=1, le=50)
    recommend_wait_seconds: float = Field(10.0, ge=0, le=60)
    personal_min_ratings: int = Field(1, ge=1, le=1000)

    flood_limit_commands: int = Field(5, ge=1, le=1000)
    flood_limit_seconds: float = Field(1.0, gt=0, le=3600)
    rate_limit_overall_per_second: float = Field(30.0, gt=0)
    rate_limit_group_per_minute: float = Field(20.0, gt=0)
    rate_limit_max_retries: int = Field(0, ge=0, le=10)

    model_embedding_dim: int = Field(_MODEL.embedding_dim, ge=1, le=512)
    model_hidden_dim: int = Field(_MODEL.hidden_dim, ge=0, le=1024)
    train_epochs: int = Field(_TRAIN.epochs, ge=1, le=10_000)
    train_learning_rate: float = Field(_TRAIN.learning_rate, gt=0, le=1)
    train_batch_size: int = Field(_TRAIN.batch_size, ge=1, le=1_000_000)
    train_weight_decay: float = Field(_TRAIN.weight_decay, ge=0, le=1)
    train_l2: float = Field(_TRAIN.l2, ge=0, le=10)
    train_head_weight_decay: float = Field(_TRAIN.head_weight_decay, ge=0, le=100)
    train_validation_fraction: float = Field(_TRAIN.validation_fraction, ge=0, lt=1)
    train_patience: int = Field(_TRAIN.patience, ge=1, le=1000)
    train_seed: int = Field(_TRAIN.seed, ge=0, le=2**63 - 1)
    train_worker: Literal["thread", "process"] = "process"
    train_debounce_seconds: float = Field(2.0, ge=0, le=3600)
    train_max_staleness_seconds: float = Field(60.0, ge=0, le=86_400)
    train_retry_seconds: float = Field(1.0, gt=0, le=3600)
    train_retry_max_seconds: float = Field(300.0, gt=0, le=86_400)
    rank_prior_weight: float = Field(_RANKING.prior_weight, ge=0, le=1)
    fold_in_steps: int = Field(_RANKING.fold_in.steps, ge=1, le=10_000)
    fold_in_learning_rate: float = Field(_RANKING.fold_in.learning_rate, gt=0, le=1)
    torch_threads: int = Field(1, ge=1, le=64)
    shutdown_timeout_seconds: float = Field(10.0, ge=0, le=600)

    http_transport: Literal["aiohttp", "httpx"] = "aiohttp"
    request_timeout_seconds: float = Field(5.0, gt=0, le=300)
    request_retries: int = Field(3, ge=0, le=20)
    request_retry_seconds: float = Field(0.5, ge=0, le=60)
    startup_retries: int = Field(5, ge=0, le=100)
    poll_timeout_seconds: int = Field(10, ge=0, le=60)

    webhook_url: str | None = None
    webhook_listen: str | None = None
    webhook_port: int | None = Field(None, ge=1, le=65535)
    webhook_secret_token: SecretStr | None = None

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @model_validator(mode="after")
    def _check_scale(self) -> Settings:
        self.rating_scale()
        return self

    @model_validator(mode="after")
    def _check_mode(self) -> Settings:
        check_webhook_settings(self)
        return self

    def secrets(self) -> list[str]:
        """Return the secret values that no log line may contain."""
        values = [self.telegram_bot_token, self.webhook_secret_token]
        return [value.get_secret_value() for value in values if value is not None]

    def rating_scale(self) -> RatingScale:
        """Return the scale for a new store (an existing store keeps its own)."""
        return RatingScale(self.rating_min, self.rating_max, self.rating_step)

    def model_settings(self) -> ModelConfig:
        return ModelConfig(
            embedding_dim=self.model_embedding_dim, hidden_dim=self.model_hidden_dim
        )

    def train_settings(self) -> TrainConfig:
        return TrainConfig(
            epochs=self.train_epochs,
            learning_rate=self.train_learning_rate,
            batch_size=self.train_batch_size,
            weight_decay=self.train_weight_decay,
            l2=self.train_l2,
            head_weight_decay=self.train_head_weight_decay,
            validation_fraction=self.train_validation_fraction,
            patience=self.train_patience,
            seed=self.train_seed,
        )

    def ranking_settings(self) -> RankingConfig:
        fold_in = FoldInConfig(
            steps=self.fold_in_steps,
            learning_rate=self.fold_in_learning_rate,
            l2=self.train_l2,
        )
        return RankingConfig(prior_weight=self.rank_prior_weight, fold_in=fold_in)

    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]


def check_webhook_settings(settings: Settings) -> None:
    """Raise ``ValueError`` unless the webhook settings match ``BOT_MODE``."""
    values = {name: getattr(settings, name.lower()) for name in WEBHOOK_VARIABLES}
    present = [name for name, value in values.items() if value is not None]
    if settings.bot_mode == "polling":
        if present:
            raise ValueError(
                f"{', '.join(present)} set but BOT_MODE=polling: set BOT_MODE=webhook "
                "or remove the webhook settings"
            )
        return
    missing = [name for name in WEBHOOK_VARIABLES if name not in present]
    if missing:
        raise ValueError(f"BOT_MODE=webhook needs {', '.join(missing)}: set them too")
    if not settings.webhook_url.startswith("https://"):
        raise ValueError("WEBHOOK_URL must start with https://, as Telegram requires")
    secret = settings.webhook_secret_token.get_secret_value()
    if not SECRET_TOKEN_PATTERN.fullmatch(secret):
        raise ValueError(
            "WEBHOOK_SECRET_TOKEN must be 1-256 characters from A-Z, a-z, 0-9, _ and -"
        )
