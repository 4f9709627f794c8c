"""`afa console`: the console served by waitress on 127.0.0.1:CONSOLE_PORT, and what the terminal is told."""
from __future__ import annotations

import logging

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from afa.settings import Settings
from afa.staff import has_accounts, issue_token

logger = logging.getLogger(__name__)


def announcement(settings: Settings, engine: Engine) -> list[str]:
    """Where the console is; on an installation without any account, also its one-time set-up link."""
    lines = [f"Staff console: {settings.console_base_url}/"]
    with Session(engine, future=True) as session, session.begin():
        if not has_accounts(session):
            token = issue_token(session, "setup")
            lines.append(f"No staff account yet: open {settings.console_base_url}/setup/{token} "
                         "to create the first administrator (works once, for 24 hours).")
    return lines


def serve(settings: Settings, engine: Engine) -> None:
    """Serve until stopped. Trainings a stopped console left "running" are marked interrupted first."""
    from waitress import serve as waitress_serve

    from afa.console import create_app
    from afa.training_runs import abandon_running

    with Session(engine, future=True) as session, session.begin():
        abandon_running(session)
    app = create_app(settings, engine)
    # Behind the reverse proxy waitress trusts its X-Forwarded-* only through ProxyFix (AFA_CONSOLE_PROXIES).
    # Flask answers an upload over AFA_UPLOAD_MAX_MB with a German page; waitress stops buffering far beyond it.
    limit = int(settings.upload_max_mb * 2 * 1024 * 1024) + 1024 * 1024
    waitress_serve(app, host=settings.host, port=settings.console_port, threads=8, ident="", _quiet=True,
                   max_request_body_size=limit)
