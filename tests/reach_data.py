"""Test data for the reach statistics, written straight into the counter tables (as afa.reach.record would)."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Iterable, Mapping

from sqlalchemy.orm import Session

from afa.reach.tables import EntryPoint, ReachCount, ReachDeletion, ReachWait

COUNT_KEYS = ("day", "channel", "language", "district", "target_group", "entry_point", "metric", "topic")


def add_counts(session: Session, rows: Iterable[Mapping[str, object]]) -> None:
    """Adds each row's `count` (default 1) to its counter; dimensions left out are "" (not known)."""
    sums: dict[tuple, int] = defaultdict(int)
    for row in rows:
        key = tuple(row.get(name, "") for name in COUNT_KEYS)
        assert isinstance(key[0], date) and key[6], row
        sums[key] += int(row.get("count", 1))  # type: ignore[arg-type]
    for key, count in sums.items():
        found = session.get(ReachCount, key)
        if found is None:
            session.add(ReachCount(**dict(zip(COUNT_KEYS, key)), count=count))
        else:
            found.count += count
    session.flush()


def add_waits(session: Session, rows: Iterable[tuple[date, str, str, int, int]]) -> None:
    """(day, team, entry point, bucket, count) added to the wait histogram."""
    for day, team, entry_point, bucket, count in rows:
        found = session.get(ReachWait, (day, team, entry_point, bucket))
        if found is None:
            session.add(ReachWait(day=day, team=team, entry_point=entry_point, bucket=bucket, count=count))
        else:
            found.count += count
    session.flush()


def add_deletions(session: Session, counts: Mapping[date, int]) -> None:
    for day, count in counts.items():
        found = session.get(ReachDeletion, day)
        if found is None:
            session.add(ReachDeletion(day=day, count=count))
        else:
            found.count += count
    session.flush()


def add_entry_point(session: Session, payload: str, name: str, district: str, language: str) -> None:
    session.add(EntryPoint(payload=payload, name=name, district=district, language=language, created_by="test"))
    session.flush()


# --- one month of known figures (2026-10-05 to 2026-11-01: ISO weeks 41 to 44), and some outside it -----------
PERIOD = {"start": "2026-10-05", "end": "2026-11-01"}
CAMPAIGN = "marxloh_tr_c1"
CAMPAIGN_NAME = "Moschee Marxloh, Aushang <b>&</b>"


def _d(text: str) -> date:
    return date.fromisoformat(text)


def seed_example(session: Session) -> None:
    """Conversations in four languages, two districts (and one not known), three channels, a campaign entry point
    and a plain link, in weeks 41, 42 and 44 (week 43 stays empty); every other metric; waits and deletions."""
    add_entry_point(session, CAMPAIGN, CAMPAIGN_NAME, "marxloh", "tr")
    de_m = dict(channel="telegram", language="de", district="marxloh", target_group="benefits")
    tr_c = dict(channel="telegram", language="tr", district="marxloh", target_group="women", entry_point=CAMPAIGN)
    bg_h = dict(channel="web", language="bg", district="hochfeld", target_group="migrants", entry_point="hochfeld")
    ro_h = dict(channel="telegram", language="ro", district="hochfeld", target_group="youth")
    de_h = dict(channel="rest", language="de", district="hochfeld")
    tr_x = dict(channel="telegram", language="tr")
    de_w = dict(channel="web", language="de", district="marxloh", target_group="benefits")
    started, returning = "conversation_started", "conversation_returning"
    add_counts(session, [
        dict(day=_d("2026-10-05"), metric=started, count=20, **de_m),
        dict(day=_d("2026-10-06"), metric=started, count=7, **tr_c),
        dict(day=_d("2026-10-07"), metric=returning, count=2, **tr_c),
        dict(day=_d("2026-10-08"), metric=started, count=3, **bg_h),
        dict(day=_d("2026-10-13"), metric=started, count=6, **ro_h),
        dict(day=_d("2026-10-14"), metric=started, count=11, **de_h),
        dict(day=_d("2026-10-14"), metric=returning, count=4, **de_h),
        dict(day=_d("2026-10-15"), metric=started, count=1, **tr_x),
        dict(day=_d("2026-10-27"), metric=started, count=9, **tr_c),
        dict(day=_d("2026-11-01"), metric=returning, count=5, **de_w),
        # outside the period: never counted in it
        dict(day=_d("2026-10-04"), metric=started, count=100, **de_m),
        dict(day=_d("2026-11-02"), metric=started, count=100, **tr_c),
        dict(day=_d("2026-11-02"), metric="unanswered", topic="legal_advice", count=50, **de_m),
        # everything else, within the period
        dict(day=_d("2026-10-06"), metric="offer_search", topic="german", count=8, **tr_c),
        dict(day=_d("2026-10-06"), metric="offer_no_match", topic="german", count=1, **tr_c),
        dict(day=_d("2026-10-06"), metric="offers_shown", topic="german", count=20, **tr_c),
        dict(day=_d("2026-10-14"), metric="offer_search", topic="jobs", count=6, **de_h),
        dict(day=_d("2026-10-14"), metric="offer_no_match", topic="jobs", count=2, **de_h),
        dict(day=_d("2026-10-14"), metric="offers_shown", topic="jobs", count=11, **de_h),
        dict(day=_d("2026-10-06"), metric="coach_request", count=5, **tr_c),
        dict(day=_d("2026-10-06"), metric="handover_accepted", count=4, **tr_c),
        dict(day=_d("2026-10-07"), metric="handover_ended", count=4, **tr_c),
        dict(day=_d("2026-10-14"), metric="coach_request", count=3, **de_h),
        dict(day=_d("2026-10-14"), metric="handover_accepted", count=3, **de_h),
        dict(day=_d("2026-10-15"), metric="handover_ended", count=2, **de_h),
        dict(day=_d("2026-10-05"), metric="message", count=150, **de_m),
        dict(day=_d("2026-10-06"), metric="message", count=60, **tr_c),
        dict(day=_d("2026-10-08"), metric="message", count=9, **bg_h),
        dict(day=_d("2026-10-13"), metric="message", count=20, **ro_h),
        dict(day=_d("2026-10-05"), metric="unanswered", topic="legal_advice", count=6, **de_m),
        dict(day=_d("2026-10-14"), metric="unanswered", topic="faq/funding", count=2, **de_h),
        dict(day=_d("2026-10-06"), metric="unanswered", topic="faq/contact", count=3, **tr_c),
        dict(day=_d("2026-10-15"), metric="unanswered", topic="out_of_scope", count=1, **tr_x),
        dict(day=_d("2026-10-08"), metric="unanswered", topic="nlu_fallback", count=2, **bg_h),
        dict(day=_d("2026-10-13"), metric="unanswered", topic="legal_advice", count=1, **ro_h),
        dict(day=_d("2026-10-05"), metric="helpful_yes", topic="offers", count=7, **de_m),
        dict(day=_d("2026-10-06"), metric="helpful_no", topic="offers", count=2, **tr_c),
        dict(day=_d("2026-10-07"), metric="helpful_yes", topic="handover", count=3, **tr_c),
    ])
    add_waits(session, [
        (_d("2026-10-06"), "marxloh", CAMPAIGN, 300, 3), (_d("2026-10-06"), "marxloh", "", 900, 2),
        (_d("2026-10-14"), "hochfeld", "", 60, 1), (_d("2026-10-15"), "hochfeld", "", 0, 2),
        (_d("2026-11-02"), "hochfeld", "", 60, 40),  # outside
    ])
    add_deletions(session, {_d("2026-10-06"): 2, _d("2026-10-20"): 1, _d("2026-11-02"): 5})


# What the console must show for PERIOD without filters (and with some), worked out by hand from the rows above.
EXPECTED = {
    "conversations": 68, "conversation_started": 57, "conversation_returning": 11, "message": 239,
    "offer_search": 14, "offer_no_match": 3, "searches_with_offers": 11, "offers_shown": 31, "coach_request": 8,
    "handover_accepted": 7, "handover_ended": 6, "unanswered": 15, "helpful_yes": 10, "helpful_no": 2,
    "deletions": 3,
}
WEEKLY = {  # week → (de, tr, bg, ro, total)
    "KW 41/2026": (20, 9, 3, 0, 32), "KW 42/2026": (15, 1, 0, 6, 22), "KW 43/2026": (0, 0, 0, 0, 0),
    "KW 44/2026": (5, 9, 0, 0, 14),
}
DISTRICTS = {"Marxloh": 43, "Hochfeld": 24, "unbekannt": 1}
