"""The action server process: rasa-sdk's Sanic app plus Rasa's NLG endpoint (`POST /nlg`).

Both render in the conversation's language from the same catalogues and database, so they share a process.
"""
from __future__ import annotations

import logging
from typing import Any

from rasa_sdk.endpoint import create_app
from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from afa.db import shared_engine
from afa.nlg import UnknownResponse, language_of_tracker, render
from afa.settings import Settings

logger = logging.getLogger(__name__)


def build_app(settings: Settings) -> Sanic:
    app = create_app("actions", cors_origins=None)

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
    app = build_app(settings)
    app.run(host=settings.host, port=settings.action_port, workers=1, access_log=False, motd=False)
