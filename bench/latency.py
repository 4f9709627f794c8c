"""Latency of `POST /model/parse` and of a full REST webhook turn (NLU, actions, NLG, database), and training time.

    .venv/bin/python bench/latency.py [--requests 500] [--database-url URL]

Servers run on free ports with their own database (SQLite in bench/results by default); requests are sent one
after another from this process (p50/p95/p99), then from 4 threads at once (throughput).
"""
from __future__ import annotations

import argparse
import itertools
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from common import RESULTS, Timer, bench_settings, ensure_database, heldout, summary

from afa.serve import Services
from afa.training import train


def timed(session: requests.Session, url: str, body: dict) -> float:
    start = time.perf_counter()
    response = session.post(url, json=body, timeout=60)
    response.raise_for_status()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--database-url", default=f"sqlite:///{RESULTS / 'bench-latency.db'}")
    parser.add_argument("--skip-training", action="store_true")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    settings = bench_settings(args.database_url)
    ensure_database(settings)

    if not args.skip_training:
        with tempfile.TemporaryDirectory() as scratch, Timer() as timer:
            train(settings, force=True, out=Path(scratch) / "afa-bench.tar.gz")
        print(f"{'full training (rasa train)':28} {timer.seconds:.1f} s")
    model = train(settings)

    texts = [item["text"] for item in heldout()]
    with Services(settings, model, log_dir=RESULTS / "logs"):
        http = requests.Session()
        parse_url = f"{settings.rasa_url}/model/parse"
        hook_url = f"{settings.rasa_url}/webhooks/rest/webhook"
        for text in texts[:20]:  # warm-up
            timed(http, parse_url, {"text": text})
            timed(http, hook_url, {"sender": "warm-up", "message": text})

        cycle = itertools.cycle(texts)
        parse = [timed(http, parse_url, {"text": next(cycle)}) for _ in range(args.requests)]
        print(summary("POST /model/parse", parse))

        # Conversations of five turns each, as users have them.
        turns = []
        sender = ""
        for index in range(args.requests):
            if index % 5 == 0:
                sender = f"bench-{uuid.uuid4().hex[:10]}"
            turns.append(timed(http, hook_url, {"sender": sender, "message": next(cycle)}))
        print(summary("REST webhook turn", turns))

        def one(i: int) -> float:
            with requests.Session() as own:
                return timed(own, hook_url, {"sender": f"bench-par-{i % 50}", "message": texts[i % len(texts)]})

        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=4) as pool:
            parallel = list(pool.map(one, range(args.requests)))
        elapsed = time.perf_counter() - start
        print(summary("webhook, 4 clients at once", parallel))
        print(f"{'throughput, 4 clients':28} {args.requests / elapsed:.1f} turns/s")


if __name__ == "__main__":
    main()
