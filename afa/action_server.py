"""The action server process: rasa-sdk's Sanic app plus Rasa's NLG endpoint (`POST /nlg`).

Both render in the conversation's language from the same catalogues and database, so they share a process.
"""
from __future__ import annotations

import hmac
import logging
import sys
from typing import Any, Optional

from rasa_sdk.endpoint import create_app
from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from afa.db import shared_engine
from afa.nlg import UnknownResponse, language_of_tracker, render
from afa.serve import MissingToken, action_server_headers, require_token
from afa.settings import Settings

logger = logging.getLogger(__name__)

# Answered without the token: the process supervisor's and `afa serve`'s liveness probe, which tells nothing.
OPEN_PATHS = frozenset({"/health"})


def authorised(request: Request, token: str) -> bool:
    """Whether the request carries the shared token in its Authorization header (compared in constant time)."""
    expected = action_server_headers(token)["Authorization"]
    return hmac.compare_digest(request.headers.get("authorization", "").encode(), expected.encode())


def build_app(settings: Settings) -> Sanic:
    app = create_app("actions", cors_origins=None)

    if settings.action_server_token:

        @app.middleware("request")
        async def require_token_header(request: Request) -> Optional[HTTPResponse]:
            """The webhook and NLG routes (and any other but /health) need ACTION_SERVER_TOKEN."""
            if request.path in OPEN_PATHS or authorised(request, settings.action_server_token):
                return None
            # Method and path only: the body holds the conversation.
            logger.warning("401 %s %s: no or wrong ACTION_SERVER_TOKEN", request.method, request.path)
            return json({"error": "not authenticated"}, status=401)

    @app.post("/nlg")
    async def nlg(request: Request) -> HTTPResponse:
        """Rasa's NLG request: {response, arguments, tracker, channel} → {text, buttons}."""
        body: dict[str, Any] = request.json or {}
        response = body.get("response") or body.get("template") or ""
        tracker = body.get("tracker") or {}
        language = language_of_tracker(tracker)
        try:
            with Session(shared_engine(settings.database_url), future=True) as session:
                message = render(response, language, body.get("arguments") or {}, session)
        except UnknownResponse:
            logger.error("NLG: unknown response %s", response)
            return json({"error": f"unknown response {response}"}, status=404)
        except SQLAlchemyError:
            # The database is briefly away: say so in the user's language (the catalogue needs no database).
            logger.exception("NLG: database error while rendering %s", response)
            message = render("utter_temporarily_unavailable", language, {}, session=None)
        return json(message)

    return app


def run(settings: Settings) -> None:
    try:
        require_token(settings.host, settings.action_server_token, "ACTION_SERVER_TOKEN", "action server")
    except MissingToken as exc:
        sys.exit(f"error: {exc}")
    app = build_app(settings)
    app.run(host=settings.host, port=settings.action_port, workers=1, access_log=False, motd=False)
