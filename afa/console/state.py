"""What the console's views share: settings and the database (in `app.extensions["afa"]`)."""
from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

from flask import current_app
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from afa.db import shared_engine
from afa.settings import Settings


@dataclass
class Console:
    settings: Settings
    engine: Engine

    @classmethod
    def create(cls, settings: Settings, engine: Optional[Engine] = None) -> "Console":
        return cls(settings, engine or shared_engine(settings.database_url))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction, committed on success; objects stay readable after it (templates read them)."""
        with Session(self.engine, future=True, expire_on_commit=False) as session, session.begin():
            yield session


def console() -> Console:
    return current_app.extensions["afa"]


def console_secret(settings: Settings) -> str:
    """AFA_CONSOLE_SECRET, else var/console-secret, made once per installation (every console process reads it)."""
    if settings.console_secret:
        return settings.console_secret
    path = Path(settings.root / "var" / "console-secret")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_text().strip()
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()
