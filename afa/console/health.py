"""The console's probes, open without a session: `/health` (the process answers) and `/ready` (its database does)."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify

from afa.console.state import console
from afa.metrics import database_problem

bp = Blueprint("health", __name__)


@bp.get("/health")
def health() -> Response:
    """The process lives and serves requests; nothing is checked beyond that."""
    return jsonify(status="ok")


@bp.get("/ready")
def ready() -> tuple[Response, int]:
    """200 when the console's database answers `SELECT 1`, else 503 with a short reason (never a traceback)."""
    problem = database_problem(console().engine)
    return (jsonify(status="unavailable", reason=problem), 503) if problem else (jsonify(status="ok"), 200)
