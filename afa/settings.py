"""The one place that reads the environment."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


@dataclass(frozen=True)
class Settings:
    """Runtime configuration; every field has a working default for a local SQLite set-up."""

    root: Path = PROJECT_ROOT
    database_url: str = field(
        default_factory=lambda: _env("DATABASE_URL", f"sqlite:///{PROJECT_ROOT / 'var' / 'afa.db'}")
    )
    # Conversations: "memory" (one Rasa process; kept across model swaps) or "sql" (Rasa's SQL tracker store on
    # DATABASE_URL: survives restarts, shared by several Rasa servers).
    tracker_store: str = field(default_factory=lambda: _env("AFA_TRACKER_STORE", "memory"))
    # Rasa's Redis lock store, for several Rasa servers side by side (empty: Rasa's in-memory lock store).
    redis_url: str = field(default_factory=lambda: _env("REDIS_URL", ""))
    host: str = field(default_factory=lambda: _env("AFA_HOST", "127.0.0.1"))
    rasa_port: int = field(default_factory=lambda: int(_env("RASA_PORT", "5005")))
    action_port: int = field(default_factory=lambda: int(_env("ACTION_PORT", "5055")))
    models_dir: Path = field(default_factory=lambda: Path(_env("AFA_MODELS_DIR", str(PROJECT_ROOT / "models"))))
    # The reviewed seed content: a folder (or file) in the `afa content import` format.
    content_path: Path = field(default_factory=lambda: Path(_env("AFA_CONTENT", str(PROJECT_ROOT / "content"))))
    # Training data generated from the database (FAQ topics staff add), used by `afa train`.
    generated_dir: Path = field(
        default_factory=lambda: Path(_env("AFA_GENERATED_DIR", str(PROJECT_ROOT / "var" / "nlu_generated")))
    )
    locales_dir: Path = PROJECT_ROOT / "locales"
    nlu_dir: Path = PROJECT_ROOT / "nlu_data"
    log_level: str = field(default_factory=lambda: _env("AFA_LOG_LEVEL", "INFO"))
    telegram_token: str = field(default_factory=lambda: _env("TELEGRAM_BOT_TOKEN", ""))

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://{self.host}:{self.action_port}"


def get_settings() -> Settings:
    """Read the environment now (not at import time), so tests and tools can set variables first."""
    return Settings()
