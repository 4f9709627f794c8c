"""The statistics tables and the campaign entry points.

Every dimension column is part of the primary key and holds "" where the value is not known, so one row per
(day, dimensions, metric, topic) is incremented in place (an upsert) and nothing else is ever stored.
"""
from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, DateTime, Index, Integer, String

from afa.db import Base, utcnow

# What is counted (ReachCount.metric). `topic` carries the offer topic of a search, the nearest topic of an
# unanswered question, and the context ("offers", "handover") of a "did this help?" answer; "" otherwise.
METRICS = (
    "conversation_started",    # the first turn of a conversation that had no earlier turns
    "conversation_returning",  # a new session of a conversation that already had earlier turns
    "message",                 # every message a person sent
    "offer_search",            # the finder searched (topic where known)
    "offers_shown",            # number of offers shown
    "offer_no_match",          # a search that found nothing
    "coach_request",           # the person asked for a coach (a handover was opened)
    "handover_accepted",       # a coach pressed Accept
    "handover_ended",          # a handover ended (/end)
    "unanswered",              # a question the bot could not answer (kept for review)
    "helpful_yes",             # "did this help?" answered yes (topic: offers | handover)
    "helpful_no",              # ... answered no
)

CHANNELS = ("telegram", "rest", "terminal", "web")

# Upper bounds in seconds of the time from coach request to Accept; 0 stands for "longer than the last bound".
WAIT_BUCKETS = (60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 0)


class ReachCount(Base):
    __tablename__ = "reach_counts"
    day = Column(Date, primary_key=True)
    channel = Column(String(16), primary_key=True)
    language = Column(String(8), primary_key=True)
    district = Column(String(16), primary_key=True)
    target_group = Column(String(32), primary_key=True)
    entry_point = Column(String(64), primary_key=True)  # the deep-link payload it started through, "" if none
    metric = Column(String(32), primary_key=True)
    topic = Column(String(64), primary_key=True)
    count = Column(Integer, nullable=False, default=0)


# Covering indexes for the dashboard (afa.reach.report), each in the order of its GROUP BY, so that a year of
# counters is summed while it is read and never sorted (SQLite would otherwise sort ~400,000 rows): by metric and
# day (conversations per day, totals per metric over a period) and by metric and topic (unanswered questions and
# "did this help?" per topic). Migration 0009.
_DIMENSIONS = ("language", "district", "channel", "target_group", "entry_point")
Index("ix_reach_counts_metric_day", ReachCount.metric, ReachCount.day,
      *(getattr(ReachCount, name) for name in _DIMENSIONS), ReachCount.topic, ReachCount.count)
Index("ix_reach_counts_metric_topic", ReachCount.metric, ReachCount.topic, ReachCount.language, ReachCount.day,
      *(getattr(ReachCount, name) for name in _DIMENSIONS[1:]), ReachCount.count)


class ReachWait(Base):
    """How long people waited from coach request to Accept: a histogram per day, team and entry point."""

    __tablename__ = "reach_wait_times"
    day = Column(Date, primary_key=True)
    team = Column(String(16), primary_key=True)  # the team's district
    entry_point = Column(String(64), primary_key=True)
    bucket = Column(Integer, primary_key=True)  # one of WAIT_BUCKETS
    count = Column(Integer, nullable=False, default=0)


class ReachDeletion(Base):
    """Deletions per day, with no other dimension on purpose."""

    __tablename__ = "reach_deletions"
    day = Column(Date, primary_key=True)
    count = Column(Integer, nullable=False, default=0)


class EntryPoint(Base):
    """A named campaign entry point ("Moschee Marxloh, Aushang"): a deep-link payload such as `marxloh_tr_c12`."""

    __tablename__ = "entry_points"
    id = Column(Integer, primary_key=True)
    payload = Column(String(64), nullable=False, unique=True)
    name = Column(String(120), nullable=False)
    district = Column(String(16), nullable=False)
    language = Column(String(8), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    created_by = Column(String(254), nullable=False, default="")
