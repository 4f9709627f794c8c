"""Prometheus metrics of the action server, and the database probe behind the servers' `/ready`.

    registry = metrics_registry(settings.database_url)   # once per app; `exposition(registry)` answers /metrics

Latencies and errors are counted as they happen; the handover queue is read from the database at scrape time, so
every process (and a restarted one) reports the same queue. Labels are action names and team districts: codes, never
anything a person wrote.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Iterator, Optional

from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, ProcessCollector,
                               generate_latest)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import and_, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from afa.db import Handover, Team, as_utc, shared_engine, utcnow

logger = logging.getLogger(__name__)

# Rasa waits for an action up to 10 s by default; NLG renders are a database read at most.
ACTION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
NLG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
# The label of an action name the server does not know (a 404): a caller cannot add label values at will.
UNKNOWN_ACTION = "unknown"

# Without a registry of their own: metrics_registry() adds them to each app's registry.
ACTION_SECONDS = Histogram("afa_action_seconds", "Time to run a custom action (webhook call), by action",
                           ["action"], buckets=ACTION_BUCKETS, registry=None)
ACTION_ERRORS = Counter("afa_action_errors", "Action calls answered with an error, by action and kind "
                        "(rejected 400, not_found 404, failed 500)", ["action", "kind"], registry=None)
NLG_SECONDS = Histogram("afa_nlg_render_seconds", "Time to render one NLG response (POST /nlg)",
                        buckets=NLG_BUCKETS, registry=None)
NLG_ERRORS = Counter("afa_nlg_errors", "NLG requests that failed, by kind (unknown_response, database)",
                     ["kind"], registry=None)
ERROR_KINDS = {400: "rejected", 404: "not_found"}


def error_kind(status: int) -> str:
    """The `kind` label of an action call answered with `status` (>= 400)."""
    return ERROR_KINDS.get(status, "failed")


def database_problem(engine: Engine) -> Optional[str]:
    """None when the database answers `SELECT 1`, else a short reason (the error's class, never its text)."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        # The class says enough to an operator; the message may carry the URL's host and user.
        logger.warning("not ready: the database does not answer (%s)", type(exc).__name__)
        return f"database unavailable ({type(exc).__name__})"
    return None


def waiting_per_district(session: Session) -> list[tuple[str, int]]:
    """Every team's district with its number of waiting handovers (0 included, so an alert sees the series)."""
    waiting = and_(Handover.team_id == Team.id, Handover.status == "waiting")
    query = (select(Team.district, func.count(Handover.id)).outerjoin(Handover, waiting)
             .group_by(Team.district).order_by(Team.district))
    return [(district, int(count)) for district, count in session.execute(query)]


def oldest_waiting_age(session: Session, now: datetime) -> float:
    """Seconds the longest-waiting handover has waited; 0 when none waits."""
    oldest = session.execute(select(func.min(Handover.opened_at)).where(Handover.status == "waiting")).scalar()
    return max(0.0, (now - as_utc(oldest)).total_seconds()) if oldest is not None else 0.0


class QueueCollector(Collector):
    """The handover queue, read from the database at every scrape; `afa_database_up` says whether it answered."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def collect(self) -> Iterator[Metric]:
        """One query per scrape; a database that is away gives `afa_database_up 0` and no queue, never an error."""
        up = GaugeMetricFamily("afa_database_up", "Whether the database answered this scrape (1) or not (0)")
        waiting = GaugeMetricFamily("afa_handovers_waiting", "Handovers waiting for a coach, by team district",
                                    labels=["district"])
        oldest = GaugeMetricFamily("afa_handover_oldest_waiting_seconds",
                                   "Age of the longest-waiting handover in seconds (0 when none waits)")
        try:
            with Session(shared_engine(self.database_url), future=True) as session:
                rows, age = waiting_per_district(session), oldest_waiting_age(session, utcnow())
        except SQLAlchemyError as exc:
            logger.warning("metrics: the database does not answer (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        for district, count in rows:
            waiting.add_metric([district], count)
        oldest.add_metric([], age)
        yield from (up, waiting, oldest)


def metrics_registry(database_url: str) -> CollectorRegistry:
    """A registry with the action server's metrics, the process's own (memory, CPU, open files) and the queue."""
    registry = CollectorRegistry()  # not auto_describe: that would query the database when the app is built
    for collector in (ACTION_SECONDS, ACTION_ERRORS, NLG_SECONDS, NLG_ERRORS, QueueCollector(database_url)):
        registry.register(collector)
    ProcessCollector(registry=registry)
    return registry


def exposition(registry: CollectorRegistry) -> tuple[bytes, str]:
    """The registry in Prometheus's text format, with its content type."""
    return generate_latest(registry), CONTENT_TYPE_LATEST
