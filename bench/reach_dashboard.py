"""The reach dashboard over one year of counters from 100,000 conversations (target: p95 ≤ 500 ms).

    .venv/bin/python bench/reach_dashboard.py [--conversations 100000] [--days 365] [--requests 100]
                                              [--postgres URL]

`seed_year` simulates the conversations (channel, language, district, target group, one of ~20 campaign entry
points or a plain link or none, messages, offer searches by topic, coach requests, waits, unanswered questions,
"did this help?", deletions) and writes the counters they would have left, as `afa.reach.record` adds them up
per day. `afa console` (waitress, its own process) then serves the dashboard to a logged-in client over HTTP:
p50/p95 per variant (the default 12 weeks, the whole year, the year with filters), then the exports.
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import tempfile
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import requests
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from common import ROOT, Timer, free_port, percentile, scratch_postgres, summary

from afa import DISTRICTS, FAQ_KEYS, LANGUAGES, TARGET_GROUPS, TOPICS
from afa.db import create_schema, make_engine
from afa.reach.tables import CHANNELS, WAIT_BUCKETS, EntryPoint, ReachCount, ReachDeletion, ReachWait
from afa.serve import wait_for
from afa.staff import add_user

EMAIL, PASSWORD = "bench@example.org", "bench-passwort-123"
UNANSWERED = [f"faq/{key}" for key in FAQ_KEYS] + ["legal_advice", "out_of_scope", "nlu_fallback", *TOPICS]


def _pick(rng: random.Random, weighted: dict[str, float]) -> str:
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def seed_year(engine, conversations: int = 100_000, days: int = 365, end: date | None = None,  # type: ignore[no-untyped-def]
              seed: int = 7) -> dict[str, int]:
    """Counters as a year of `conversations` would have left them; returns how many rows each table got."""
    rng = random.Random(seed)
    end = end or date.today()
    start = end - timedelta(days=days - 1)
    campaigns = []
    with Session(engine, future=True) as session, session.begin():
        for n in range(1, 21):
            district, language = DISTRICTS[n % 2], LANGUAGES[n % 4]
            session.add(EntryPoint(payload=f"{district}_{language}_c{n}", name=f"Aushang {n} ({district})",
                                   district=district, language=language, created_by="bench"))
        session.flush()
        campaigns = [(e.payload, e.district, e.language) for e in session.scalars(select(EntryPoint))]
    plain = [*DISTRICTS, *LANGUAGES, *(f"{d}_{l}" for d in DISTRICTS for l in LANGUAGES)]
    # Fewer conversations at weekends; the days are drawn with these weights.
    weights = [0.55 if (start + timedelta(days=i)).weekday() >= 5 else 1.0 for i in range(days)]
    counts: dict[tuple, int] = defaultdict(int)
    waits: dict[tuple, int] = defaultdict(int)
    deletions: dict[date, int] = defaultdict(int)
    for _ in range(conversations):
        day = start + timedelta(days=rng.choices(range(days), weights=weights)[0])
        channel = _pick(rng, {"telegram": 0.65, "web": 0.25, "rest": 0.08, "terminal": 0.02})
        language = _pick(rng, {"de": 0.35, "tr": 0.3, "bg": 0.2, "ro": 0.15})
        district = _pick(rng, {"marxloh": 0.48, "hochfeld": 0.42, "": 0.1})
        group = _pick(rng, {"": 0.3, **{g: 0.7 / len(TARGET_GROUPS) for g in TARGET_GROUPS}})
        link = rng.random()
        entry = ""
        if link < 0.4:
            entry, district, language = rng.choice(campaigns)
        elif link < 0.55:
            entry = rng.choice(plain)
        dims = (day, channel, language, district, group, entry)

        def add(metric: str, topic: str = "", n: int = 1) -> None:
            counts[(*dims, metric, topic)] += n

        add("conversation_returning" if rng.random() < 0.25 else "conversation_started")
        add("message", n=1 + int(rng.expovariate(1 / 5)))
        searches = 1 if rng.random() < 0.55 else 0
        searches += 1 if searches and rng.random() < 0.25 else 0
        for _search in range(searches):
            topic = rng.choice([*TOPICS, ""])
            add("offer_search", topic)
            if rng.random() < 0.12:
                add("offer_no_match", topic)
            else:
                add("offers_shown", topic, rng.randint(1, 3))
                if rng.random() < 0.35:
                    add("helpful_yes" if rng.random() < 0.7 else "helpful_no", "offers")
        if rng.random() < 0.15:
            add("coach_request")
            if rng.random() < 0.85:
                add("handover_accepted")
                team = district or rng.choice(DISTRICTS)
                waits[(day, team, entry, rng.choices(WAIT_BUCKETS, weights=(8, 20, 20, 14, 10, 8, 6, 5, 5, 4))[0])] += 1
                if rng.random() < 0.8:
                    add("handover_ended")
                    if rng.random() < 0.5:
                        add("helpful_yes" if rng.random() < 0.8 else "helpful_no", "handover")
        for _question in range(rng.choices((0, 1, 2), weights=(60, 30, 10))[0]):
            add("unanswered", rng.choice(UNANSWERED))
        if rng.random() < 0.02:
            deletions[day] += 1
    names = ("day", "channel", "language", "district", "target_group", "entry_point", "metric", "topic")
    with Session(engine, future=True) as session, session.begin():
        items = [dict(zip(names, key), count=n) for key, n in counts.items()]
        for chunk in range(0, len(items), 20_000):
            session.execute(insert(ReachCount), items[chunk:chunk + 20_000])
        session.execute(insert(ReachWait), [dict(day=k[0], team=k[1], entry_point=k[2], bucket=k[3], count=n)
                                            for k, n in waits.items()])
        session.execute(insert(ReachDeletion), [dict(day=d, count=n) for d, n in deletions.items()])
    return {"reach_counts": len(counts), "reach_wait_times": len(waits), "reach_deletions": len(deletions)}


class Console:
    """`afa console` on the filled database, and a logged-in HTTP client."""

    def __init__(self, url: str, log: Path) -> None:
        import re

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATABASE_URL": url, "CONSOLE_PORT": str(self.port), "AFA_CONSOLE_SECRET": "bench",
               "AFA_LOG_LEVEL": "WARNING"}
        self.process = subprocess.Popen([str(ROOT / ".venv" / "bin" / "afa"), "console", "--quiet"], env=env,
                                        stdout=log.open("ab"), stderr=subprocess.STDOUT)
        wait_for(f"{self.base}/login", 60, self.process)
        self.http = requests.Session()
        page = self.http.get(f"{self.base}/login").text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        self.http.post(f"{self.base}/login", data={"csrf_token": token, "email": EMAIL, "password": PASSWORD})
        assert self.http.get(f"{self.base}/reach/").status_code == 200, "bench login failed"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


def timed(http: requests.Session, url: str, params: dict[str, str], count: int) -> list[float]:
    latencies = []
    for i in range(count + 3):
        start = time.perf_counter()
        response = http.get(url, params=params)
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, (response.status_code, response.text[:300])
        if i >= 3:  # warm-up
            latencies.append(elapsed)
    return latencies


def run(name: str, url: str, args: argparse.Namespace, scratch: Path) -> None:
    engine = make_engine(url)
    create_schema(engine)
    with Session(engine, future=True) as session, session.begin():
        add_user(session, EMAIL, "viewer", "Bench", PASSWORD)
    end = date.today()
    with Timer() as filling:
        rows = seed_year(engine, args.conversations, args.days, end)
    if engine.dialect.name == "postgresql":  # what autovacuum does soon after a bulk load: statistics, visibility map
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    with Session(engine, future=True) as session:
        total = session.scalar(select(func.sum(ReachCount.count)).where(
            ReachCount.metric.in_(("conversation_started", "conversation_returning"))))
    engine.dispose()
    print(f"{name}: {total} conversations over {args.days} days → {rows} rows in {filling.seconds:.1f} s")
    console = Console(url, scratch / f"console-{name}.log")
    year = {"start": (end - timedelta(days=args.days - 1)).isoformat(), "end": end.isoformat()}
    variants = {
        "dashboard, default 12 weeks": {},
        "dashboard, whole year": year,
        "dashboard, year, language tr": {**year, "language": "tr"},
        "dashboard, year, 3 filters": {**year, "district": "hochfeld", "channel": "telegram",
                                       "entry_point": "hochfeld_tr_c1"},
    }
    try:
        worst = 0.0
        for label, params in variants.items():
            latencies = timed(console.http, f"{console.base}/reach/", params, args.requests)
            worst = max(worst, percentile(latencies, 95))
            print(f"{name:10} {summary(label, latencies, 32)}")
        print(f"{name:10} worst dashboard p95: {worst:.1f} ms (target ≤ 500 ms)")
        for label, path, params in (("export .xlsx, year", "export.xlsx", year),
                                    ("export .csv public, year", "export.csv", {**year, "public": "1"})):
            latencies = timed(console.http, f"{console.base}/reach/{path}", params, max(5, args.requests // 10))
            print(f"{name:10} {summary(label, latencies, 32)}")
    finally:
        console.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--postgres", default="postgresql+psycopg2://postgres@127.0.0.1:5432/test",
                        help="an existing database to create the bench database from ('' to skip PostgreSQL)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        run("sqlite", f"sqlite:///{Path(scratch) / 'bench.db'}", args, Path(scratch))
        if args.postgres:
            with scratch_postgres(args.postgres) as url:
                run("postgresql", url, args, Path(scratch))


if __name__ == "__main__":
    main()
