"""The action server process: rasa-sdk's Sanic app plus Rasa's NLG endpoint (`POST /nlg`).

Both render in the conversation's language from the same catalogues and database, so they share a process.
"""
from __future__ import annotations

import asyncio
import hmac
import json as jsonlib
import logging
import sys
import time
import zlib
from typing import Any, Optional

from rasa_sdk.endpoint import create_app
from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json, raw
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from afa import metrics
from afa.db import shared_engine
from afa.nlg import UnknownResponse, language_of_tracker, render
from afa.serve import MissingToken, action_server_headers, require_token
from afa.settings import Settings

logger = logging.getLogger(__name__)

# Answered without the token: the process supervisor's and `afa serve`'s liveness probe, which tells nothing; the
# readiness probe (up or not, and the error's class); and /metrics, which Prometheus scrapes without a token by
# default and which holds only action names, timings, counts and team districts: no conversation, nobody's data.
OPEN_PATHS = frozenset({"/health", "/ready", "/metrics"})


def authorised(request: Request, token: str) -> bool:
    """Whether the request carries the shared token in its Authorization header (compared in constant time)."""
    expected = action_server_headers(token)["Authorization"]
    return hmac.compare_digest(request.headers.get("authorization", "").encode(), expected.encode())


def called_action(request: Request) -> str:
    """The action a webhook call asks for (Rasa may deflate the body); "" when the body says none."""
    try:
        body = request.body
        if request.headers.get("content-encoding") == "deflate":
            body = zlib.decompress(body)
        return str((jsonlib.loads(body or b"{}") or {}).get("next_action") or "")
    except (ValueError, zlib.error, AttributeError):
        return ""  # rasa-sdk answers the malformed body itself; the call still counts, under ""


def build_app(settings: Settings) -> Sanic:
    app = create_app("actions", cors_origins=None)
    registry = metrics.metrics_registry(settings.database_url)

    if settings.action_server_token:

        @app.middleware("request")
        async def require_token_header(request: Request) -> Optional[HTTPResponse]:
            """The webhook and NLG routes (and any other but /health) need ACTION_SERVER_TOKEN."""
            if request.path in OPEN_PATHS or authorised(request, settings.action_server_token):
                return None
            # Method and path only: the body holds the conversation.
            logger.warning("401 %s %s: no or wrong ACTION_SERVER_TOKEN", request.method, request.path)
            return json({"error": "not authenticated"}, status=401)

    @app.middleware("request")
    async def start_action_clock(request: Request) -> None:
        """Notes when a webhook call began and which action it runs."""
        if request.path == "/webhook":
            request.ctx.action_started = time.perf_counter()
            request.ctx.action = called_action(request)

    @app.middleware("response")
    async def observe_action(request: Request, response: HTTPResponse) -> None:
        """The webhook call's latency per action, and its error if rasa-sdk answered with one."""
        started = getattr(request.ctx, "action_started", None)
        if started is None:  # another route, or refused before it began (401)
            return
        # An unknown name (404) is not a label of its own: callers must not grow the series at will.
        action = metrics.UNKNOWN_ACTION if response.status == 404 else request.ctx.action
        metrics.ACTION_SECONDS.labels(action).observe(time.perf_counter() - started)
        if response.status >= 400:
            metrics.ACTION_ERRORS.labels(action, metrics.error_kind(response.status)).inc()

    @app.get("/ready")
    async def ready(request: Request) -> HTTPResponse:
        """200 when the database answers `SELECT 1`, else 503 with the reason (in a thread: a dead host blocks)."""
        engine = shared_engine(settings.database_url)
        problem = await asyncio.get_running_loop().run_in_executor(None, metrics.database_problem, engine)
        return json({"status": "unavailable", "reason": problem}, status=503) if problem else json({"status": "ok"})

    @app.get("/metrics")
    async def prometheus_metrics(request: Request) -> HTTPResponse:
        """Prometheus's text format; the queue gauges query the database, in a thread."""
        body, content_type = await asyncio.get_running_loop().run_in_executor(None, metrics.exposition, registry)
        return raw(body, content_type=content_type)

    @app.post("/nlg")
    async def nlg(request: Request) -> HTTPResponse:
        """Rasa's NLG request: {response, arguments, tracker, channel} → {text, buttons}."""
        body: dict[str, Any] = request.json or {}
        response = body.get("response") or body.get("template") or ""
        tracker = body.get("tracker") or {}
        language = language_of_tracker(tracker)
        started = time.perf_counter()
        try:
            with Session(shared_engine(settings.database_url), future=True) as session:
                message = render(response, language, body.get("arguments") or {}, session)
        except UnknownResponse:
            logger.error("NLG: unknown response %s", response)
            metrics.NLG_ERRORS.labels("unknown_response").inc()
            return json({"error": f"unknown response {response}"}, status=404)
        except SQLAlchemyError:
            # The database is briefly away: say so in the user's language (the catalogue needs no database).
            logger.exception("NLG: database error while rendering %s", response)
            metrics.NLG_ERRORS.labels("database").inc()
            message = render("utter_temporarily_unavailable", language, {}, session=None)
        finally:
            metrics.NLG_SECONDS.observe(time.perf_counter() - started)
        return json(message)

    return app


def run(settings: Settings) -> None:
    try:
        require_token(settings.host, settings.action_server_token, "ACTION_SERVER_TOKEN", "action server")
    except MissingToken as exc:
        sys.exit(f"error: {exc}")
    app = build_app(settings)
    app.run(host=settings.host, port=settings.action_port, workers=1, access_log=False, motd=False)
