"""Offer search at scale and spreadsheet import speed, on SQLite and PostgreSQL side by side.

    .venv/bin/python bench/offers.py [--offers 10000] [--turns 300] [--import-rows 5000] [--postgres URL]

For each database: 10,000 generated offers are imported, the servers start on it, and finder turns (natural
messages naming a situation and a district, answered with three offer cards) go over the REST channel;
then a 5,000-row .xlsx is validated and imported in one transaction (`afa content import`'s code path).
"""
from __future__ import annotations

import argparse
import itertools
import random
import tempfile
import time
import uuid
from pathlib import Path

import requests
from sqlalchemy.orm import Session

from common import RESULTS, Timer, bench_settings, ensure_database, percentile, scratch_postgres

from afa import DISTRICTS, LANGUAGES, TARGET_GROUPS
from afa.content import import_path, write_tables
from afa.db import make_engine
from afa.serve import Services
from afa.training import train

MESSAGES = [
    ("Marxloh'ta oturuyorum, kadınlar için kurs var mı?"),
    ("Ich wohne in Hochfeld und bin neu in Deutschland, gibt es Kurse?"),
    ("Живея в Марксло, получавам помощи от Jobcenter, има ли курсове?"),
    ("sunt refugiat, stau in Hochfeld, ce cursuri aveti?"),
    ("Ich bin 19, habe keinen Schulabschluss und wohne in Marxloh. Gibt es was für mich?"),
    ("Hochfeld'de oturuyorum, Jobcenter'a kayıtlı değilim, iş var mı?"),
]


def generated_offers(count: int, seed: int = 7) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        row = {
            "key": f"bench-{i:05d}", "example": "true", "active": "true" if rng.random() > 0.05 else "false",
            "provider": f"Träger {i % 97}", "address": f"Beispielweg {i % 200}, 47169 Duisburg",
            "districts": ", ".join(rng.sample(DISTRICTS, rng.choice([1, 1, 2]))),
            "target_groups": ", ".join(rng.sample(TARGET_GROUPS, rng.choice([1, 2, 3]))),
            "languages": ", ".join(rng.sample(LANGUAGES, rng.choice([1, 2, 4]))),
            "contact_phone": "", "contact_email": f"kurs{i}@example.org", "schedule": "mon-thu 09:00-12:00",
            "cost": "0", "valid_from": "", "valid_until": "2099-12-31" if i % 3 else "",
        }
        for field in ("title", "summary", "details"):
            for lang in LANGUAGES:
                row[f"{field}_{lang}"] = f"{field} {i} {lang}"
        rows.append(row)
    return rows


def import_timed(url: str, path: Path) -> float:
    engine = make_engine(url)
    with Timer() as timer, Session(engine, future=True) as session, session.begin():
        import_path(session, path)
    engine.dispose()
    return timer.seconds


def finder_turns(url: str, turns: int) -> list[float]:
    settings = bench_settings(url)
    ensure_database(settings)
    model = train(settings)
    latencies = []
    with Services(settings, model, log_dir=RESULTS / "logs"):
        http = requests.Session()
        hook = f"{settings.rasa_url}/webhooks/rest/webhook"
        messages = itertools.cycle(MESSAGES)
        for i in range(turns + 10):
            body = {"sender": f"bench-{uuid.uuid4().hex[:8]}", "message": next(messages)}
            start = time.perf_counter()
            replies = http.post(hook, json=body, timeout=60).json()
            elapsed = (time.perf_counter() - start) * 1000
            if i >= 10:  # warm-up
                latencies.append(elapsed)
            assert sum("📍" in (r.get("text") or "") for r in replies) == 3, replies
    return latencies


def run(name: str, url: str, offers: int, turns: int, import_rows: int, scratch: Path) -> None:
    settings = bench_settings(url)
    ensure_database(settings)
    big = scratch / f"offers-{offers}.xlsx"
    write_tables(big, {"offers": generated_offers(offers)})
    seconds = import_timed(url, big)
    print(f"{name:10} import {offers} offers (.xlsx, validated, one transaction): {seconds:6.1f} s")
    latencies = finder_turns(url, turns)
    print(f"{name:10} finder turn over REST with {offers} offers: n={len(latencies)} p50={percentile(latencies, 50):.1f} ms "
          f"p95={percentile(latencies, 95):.1f} ms p99={percentile(latencies, 99):.1f} ms")
    sheet = scratch / f"offers-{import_rows}.xlsx"
    write_tables(sheet, {"offers": generated_offers(import_rows, seed=11)})
    seconds = import_timed(url, sheet)
    print(f"{name:10} import of a {import_rows}-row spreadsheet (validate + write): {seconds:6.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--import-rows", type=int, default=5_000)
    parser.add_argument("--postgres", default="postgresql+psycopg2://postgres@127.0.0.1:5432/test",
                        help="an existing database to create the bench database from ('' to skip PostgreSQL)")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        sqlite = Path(scratch) / "bench.db"
        run("sqlite", f"sqlite:///{sqlite}", args.offers, args.turns, args.import_rows, Path(scratch))
        if args.postgres:
            with scratch_postgres(args.postgres) as url:
                run("postgresql", url, args.offers, args.turns, args.import_rows, Path(scratch))


if __name__ == "__main__":
    main()
