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
    # Conversations: "sql" (Rasa's SQL tracker store on DATABASE_URL: survives restarts, shared by several Rasa
    # servers, erasable on request) or "memory" (one Rasa process, nothing on disk; deletion drops it from memory).
    tracker_store: str = field(default_factory=lambda: _env("AFA_TRACKER_STORE", "sql"))
    # Rasa's Redis lock store, for several Rasa servers side by side (empty: Rasa's in-memory lock store).
    redis_url: str = field(default_factory=lambda: _env("REDIS_URL", ""))
    host: str = field(default_factory=lambda: _env("AFA_HOST", "127.0.0.1"))
    rasa_port: int = field(default_factory=lambda: int(_env("RASA_PORT", "5005")))
    action_port: int = field(default_factory=lambda: int(_env("ACTION_PORT", "5055")))
    # Rasa's HTTP API token (`rasa run --auth-token`), sent by every internal client as `?token=`; required when Rasa
    # listens beyond loopback. It does not cover the REST channel, which stays on loopback or the private network.
    rasa_auth_token: str = field(default_factory=lambda: _env("RASA_AUTH_TOKEN", ""))
    # The shared token of the action server's webhook and NLG routes (Rasa sends it as a header); required when the
    # action server listens beyond loopback.
    action_server_token: str = field(default_factory=lambda: _env("ACTION_SERVER_TOKEN", ""))
    # Every Rasa server `afa train` loads a new model into: comma-separated base URLs; empty: the one at RASA_PORT.
    rasa_servers: str = field(default_factory=lambda: _env("RASA_SERVERS", ""))
    models_dir: Path = field(default_factory=lambda: Path(_env("AFA_MODELS_DIR", str(PROJECT_ROOT / "models"))))
    # The reviewed seed content: a folder (or file) in the `afa content import` format.
    content_path: Path = field(default_factory=lambda: Path(_env("AFA_CONTENT", str(PROJECT_ROOT / "content"))))
    # Training data generated from the database (FAQ topics staff add), used by `afa train`.
    generated_dir: Path = field(
        default_factory=lambda: Path(_env("AFA_GENERATED_DIR", str(PROJECT_ROOT / "var" / "nlu_generated")))
    )
    locales_dir: Path = PROJECT_ROOT / "locales"
    # Training data; the staff review appends to <nlu_dir>/<lang>/review.yml (tests point it at a copy).
    nlu_dir: Path = field(default_factory=lambda: Path(_env("AFA_NLU_DIR", str(PROJECT_ROOT / "nlu_data"))))
    log_level: str = field(default_factory=lambda: _env("AFA_LOG_LEVEL", "INFO"))
    telegram_token: str = field(default_factory=lambda: _env("TELEGRAM_BOT_TOKEN", ""))
    # The Bot API server (tests point this at their own recording server).
    telegram_api_url: str = field(default_factory=lambda: _env("TELEGRAM_API_URL", "https://api.telegram.org/bot"))
    # Webhook mode when a public URL is set (e.g. https://bot.example.org/telegram), polling otherwise.
    webhook_url: str = field(default_factory=lambda: _env("AFA_WEBHOOK_URL", ""))
    webhook_listen: str = field(default_factory=lambda: _env("AFA_WEBHOOK_LISTEN", "127.0.0.1"))
    webhook_port: int = field(default_factory=lambda: int(_env("AFA_WEBHOOK_PORT", "8443")))
    # Telegram sends it with every webhook request; the same for every front end behind the load balancer, so it is
    # required in webhook mode (no random one per start: a second front end would answer 403).
    webhook_secret: str = field(default_factory=lambda: _env("AFA_WEBHOOK_SECRET", ""))
    # Telegram's limits (about 30 messages a second overall, 20 a minute per group); 0 switches a limit off.
    telegram_max_rate: float = field(default_factory=lambda: float(_env("AFA_TELEGRAM_MAX_RATE", "30")))
    telegram_group_rate: float = field(default_factory=lambda: float(_env("AFA_TELEGRAM_GROUP_RATE", "20")))
    # A waiting handover nobody accepted is reminded to the team group after this long (office hours only).
    handover_remind_minutes: float = field(default_factory=lambda: float(_env("AFA_HANDOVER_REMIND_MINUTES", "15")))
    # How often the front end's background work runs (cards not yet posted, undelivered messages, reminders).
    jobs_interval_seconds: float = field(default_factory=lambda: float(_env("AFA_JOBS_INTERVAL_SECONDS", "30")))
    # A front end's claim on posting a card lapses after this long (it crashed or hangs): any other may take it over.
    claim_lease_seconds: float = field(default_factory=lambda: float(_env("AFA_CLAIM_LEASE_SECONDS", "120")))
    # Retention: conversations, unanswered questions and preferences; handovers with their relayed messages.
    retention_days: float = field(default_factory=lambda: float(_env("AFA_RETENTION_DAYS", "90")))
    handover_retention_days: float = field(default_factory=lambda: float(_env("AFA_HANDOVER_RETENTION_DAYS", "180")))
    # The secret that turns Telegram ids into pseudonyms for logs and deletion lookups; empty: var/secret-salt.
    log_salt: str = field(default_factory=lambda: _env("AFA_LOG_SALT", ""))
    # The erasure ledger's append-only file (afa.backup): who was erased when, by pseudonym, outside the database so
    # that it survives a restore, even onto a wiped database; best kept on the backups' volume. Empty: beside a
    # SQLite file (afa.db → afa-erasures.jsonl), else var/erasures.jsonl.
    erasure_ledger: str = field(default_factory=lambda: _env("AFA_ERASURE_LEDGER", ""))
    # How long a message waits for Rasa, or a reply for Telegram, to come back before it is given up.
    patience_seconds: float = field(default_factory=lambda: float(_env("AFA_PATIENCE_SECONDS", "3600")))

    # Staff console (afa console): its port on 127.0.0.1, the address staff open (through the TLS proxy in
    # production: https://... makes the session cookie Secure), and how many proxies in front set X-Forwarded-*.
    console_port: int = field(default_factory=lambda: int(_env("CONSOLE_PORT", "8080")))
    console_url: str = field(default_factory=lambda: _env("AFA_CONSOLE_URL", ""))
    console_proxies: int = field(default_factory=lambda: int(_env("AFA_CONSOLE_PROXIES", "0")))
    # Signs the console's cookies; empty: var/console-secret, made once per installation.
    console_secret: str = field(default_factory=lambda: _env("AFA_CONSOLE_SECRET", ""))
    # Failed logins: from the third one on, the next try waits base × 2^(n-3) seconds, at most the maximum.
    login_delay_seconds: float = field(default_factory=lambda: float(_env("AFA_LOGIN_DELAY_SECONDS", "1")))
    login_delay_max_seconds: float = field(default_factory=lambda: float(_env("AFA_LOGIN_DELAY_MAX_SECONDS", "60")))
    upload_max_mb: float = field(default_factory=lambda: float(_env("AFA_UPLOAD_MAX_MB", "20")))
    # The bot's @username (without @), for the group and coach links the console shows (t.me/<bot>?startgroup=…).
    telegram_bot_username: str = field(default_factory=lambda: _env("TELEGRAM_BOT_USERNAME", "").lstrip("@"))
    # The web chat's public address (https://...), printed on flyers beside the Telegram link; empty: none yet.
    webchat_public_url: str = field(default_factory=lambda: _env("WEBCHAT_PUBLIC_URL", ""))

    @property
    def console_base_url(self) -> str:
        return (self.console_url or f"http://{self.host}:{self.console_port}").rstrip("/")

    @property
    def erasure_ledger_path(self) -> Path:
        if self.erasure_ledger:
            return Path(self.erasure_ledger)
        if self.database_url.startswith("sqlite:///") and self.database_url != "sqlite:///:memory:":
            database = Path(self.database_url[len("sqlite:///"):])
            return database.with_name(f"{database.stem}-erasures.jsonl")
        return self.root / "var" / "erasures.jsonl"

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def rasa_server_urls(self) -> list[str]:
        """RASA_SERVERS as a list of base URLs, or this machine's Rasa server when none are registered."""
        urls = [url.strip().rstrip("/") for url in self.rasa_servers.split(",") if url.strip()]
        return urls or [self.rasa_url]

    @property
    def telegram_file_url(self) -> str:
        return self.telegram_api_url.rsplit("/bot", 1)[0] + "/file/bot"

    @property
    def action_url(self) -> str:
        return f"http://{self.host}:{self.action_port}"


def get_settings() -> Settings:
    """Read the environment now (not at import time), so tests and tools can set variables first."""
    return Settings()
