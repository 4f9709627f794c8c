"""Latency of `POST /model/parse` and of a full REST webhook turn (NLU, actions, NLG, database), and training time.

    .venv/bin/python bench/latency.py [--requests 500] [--database-url URL] [--baseline REV]

Servers run on free ports with their own database (SQLite in bench/results by default); requests are sent one
after another from this process (p50/p95/p99), then from 4 threads at once (throughput).

With `--baseline REV` (a commit, e.g. the one before a change) that revision's code runs too, from a git
worktree on its own ports and database, and the same REST turns go to both servers alternately in one run,
so both are measured under the same conditions, side by side.
"""
from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import requests

from common import RESULTS, ROOT, Timer, bench_settings, ensure_database, free_port, heldout, summary

from afa.serve import Services, rasa_params, wait_for
from afa.training import train


def timed(session: requests.Session, url: str, body: dict) -> float:
    start = time.perf_counter()
    response = session.post(url, json=body, timeout=60)
    response.raise_for_status()
    return (time.perf_counter() - start) * 1000


@contextmanager
def baseline_servers(revision: str, scratch: Path):  # type: ignore[no-untyped-def]
    """`afa serve` of another revision (its own code and model, our venv), yielding its Rasa URL."""
    tree = scratch / "baseline"
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), revision], cwd=ROOT, check=True,
                   capture_output=True)
    rasa_port = free_port()
    env = {**os.environ, "PYTHONPATH": str(tree), "RASA_PORT": str(rasa_port), "ACTION_PORT": str(free_port()),
           "CONSOLE_PORT": str(free_port()), "DATABASE_URL": f"sqlite:///{scratch / 'baseline.db'}",
           "AFA_MODELS_DIR": str(RESULTS / "models"), "AFA_NLU_DIR": str(tree / "nlu_data")}
    afa = [sys.executable, "-m", "afa.cli"]
    process = None
    try:
        subprocess.run([*afa, "setup"], cwd=tree, env=env, check=True, capture_output=True)
        with (scratch / "baseline.log").open("ab") as log:
            process = subprocess.Popen([*afa, "serve"], cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{rasa_port}"
        wait_for(f"{url}/status", 900, process, ready=lambda r: r.ok and bool(r.json().get("model_file")))
        yield url
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=60)
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)


def side_by_side(http: requests.Session, urls: dict[str, str], texts: list[str], count: int) -> None:
    """The same conversations of five turns to each server, turn by turn alternately."""
    turns: dict[str, list[float]] = {name: [] for name in urls}
    cycle = itertools.cycle(texts)
    sender = ""
    for index in range(count):
        if index % 5 == 0:
            sender = f"bench-{uuid.uuid4().hex[:10]}"
        text = next(cycle)
        for name, url in urls.items():
            turns[name].append(timed(http, f"{url}/webhooks/rest/webhook", {"sender": sender, "message": text}))
    for name, values in turns.items():
        print(summary(f"REST turn, {name}", values))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--database-url", default=f"sqlite:///{RESULTS / 'bench-latency.db'}")
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--baseline", help="also run this revision's servers and compare REST turns side by side")
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
        http.params.update(rasa_params(settings))  # /model/parse takes RASA_AUTH_TOKEN; the REST channel ignores it
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
        if args.baseline:
            with tempfile.TemporaryDirectory() as scratch, baseline_servers(args.baseline, Path(scratch)) as before:
                for text in texts[:20]:
                    timed(http, f"{before}/webhooks/rest/webhook", {"sender": "warm-up", "message": text})
                side_by_side(http, {f"baseline {args.baseline[:10]}": before, "this tree": settings.rasa_url},
                             texts, args.requests)


if __name__ == "__main__":
    main()
