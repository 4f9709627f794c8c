"""Staff console pages at scale: 10,000 offers and 50,000 audit entries, every page 200 times, and an upload.

    .venv/bin/python bench/console.py [--offers 10000] [--audit 50000] [--requests 200] [--upload-rows 5000]
                                      [--postgres URL]

The console runs as `afa console` does (waitress, its own process) on a database filled first; a logged-in
client (requests, real HTTP) asks each page in turn and the script prints p50/p95/p99 per page, then the time
from sending a 5,000-row spreadsheet to the page that shows its diff (validated, nothing written).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Callable

import requests
from sqlalchemy import insert
from sqlalchemy.orm import Session

from common import ROOT, Timer, ensure_database, free_port, percentile, scratch_postgres, summary
from offers import generated_offers

from afa.audit import AuditEntry
from afa.content import import_path, write_tables
from afa.db import make_engine, utcnow
from afa.serve import wait_for
from afa.settings import Settings
from afa.staff import add_user

EMAIL, PASSWORD = "bench@example.org", "bench-passwort-123"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def fill(url: str, offers: int, audit: int, scratch: Path) -> None:
    """Content, the generated offers, an admin account and `audit` log entries spread over a year."""
    os.environ["DATABASE_URL"] = url
    settings = Settings()
    ensure_database(settings)
    engine = make_engine(url)
    sheet = scratch / f"offers-{offers}.xlsx"
    write_tables(sheet, {"offers": generated_offers(offers)})
    rng = random.Random(3)
    now = utcnow()
    with Session(engine, future=True) as session, session.begin():
        import_path(session, sheet)
        add_user(session, EMAIL, "admin", "Bench", PASSWORD)
        kinds = ("offer", "faq", "team", "coach", "account", "content", "review")
        for start in range(0, audit, 5000):
            session.execute(insert(AuditEntry), [
                {"at": now - timedelta(minutes=rng.randrange(525_600)), "actor": f"staff{i % 12}@example.org",
                 "action": rng.choice(("created", "changed", "deleted")), "kind": rng.choice(kinds),
                 "target": f"bench-{i % offers:05d}", "before": json.dumps({"title_de": f"alt {i}"}),
                 "after": json.dumps({"title_de": f"neu {i}"})}
                for i in range(start, min(start + 5000, audit))
            ])
    engine.dispose()


class Console:
    """`afa console` on the filled database, and a logged-in HTTP client."""

    def __init__(self, url: str, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATABASE_URL": url, "CONSOLE_PORT": str(self.port), "AFA_CONSOLE_SECRET": "bench",
               "AFA_LOG_LEVEL": "WARNING"}
        self.process = subprocess.Popen([str(ROOT / ".venv" / "bin" / "afa"), "console", "--quiet"], env=env,
                                        stdout=log.open("ab"), stderr=subprocess.STDOUT)
        wait_for(f"{self.base}/login", 60, self.process)
        self.http = requests.Session()
        page = self.http.get(f"{self.base}/login").text
        self.http.post(f"{self.base}/login", data={"csrf_token": self.token(page), "email": EMAIL, "password": PASSWORD})
        assert self.http.get(f"{self.base}/").status_code == 200, "bench login failed"

    @staticmethod
    def token(html: str) -> str:
        match = TOKEN.search(html)
        assert match, "no CSRF token"
        return match.group(1)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


def timed(call: Callable[[], requests.Response], count: int) -> list[float]:
    latencies = []
    for i in range(count + 5):
        start = time.perf_counter()
        response = call()
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, (response.status_code, response.url)
        if i >= 5:  # warm-up
            latencies.append(elapsed)
    return latencies


def pages(c: Console, offers: int) -> dict[str, Callable[[], requests.Response]]:
    """What staff open, with the arguments that make each page work hardest."""
    rng = random.Random(5)
    key = lambda: f"bench-{rng.randrange(offers):05d}"  # noqa: E731
    edit = c.http.get(f"{c.base}/offers/bench-00042").text
    form = {name: value for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', edit)}
    form.update({name: value for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', edit)})
    form.update({"preview": "1"})
    form.pop("save", None)
    return {
        "overview": lambda: c.http.get(f"{c.base}/"),
        "offers list": lambda: c.http.get(f"{c.base}/offers/"),
        "offers list, page 100": lambda: c.http.get(f"{c.base}/offers/", params={"page": 100}),
        "offers filtered": lambda: c.http.get(f"{c.base}/offers/", params={"district": "marxloh", "group": "women",
                                                                          "language": "tr", "active": "yes"}),
        "offers search": lambda: c.http.get(f"{c.base}/offers/", params={"q": f"title {rng.randrange(offers)}"}),
        "offer edit": lambda: c.http.get(f"{c.base}/offers/{key()}"),
        "offer preview (POST)": lambda: c.http.post(f"{c.base}/offers/bench-00042", data=form),
        "FAQ list": lambda: c.http.get(f"{c.base}/faq/"),
        "FAQ edit": lambda: c.http.get(f"{c.base}/faq/funding"),
        "teams": lambda: c.http.get(f"{c.base}/teams/"),
        "review queue": lambda: c.http.get(f"{c.base}/review/"),
        "audit log": lambda: c.http.get(f"{c.base}/audit/"),
        "audit log filtered": lambda: c.http.get(f"{c.base}/audit/", params={"kind": "offer", "actor": "staff3@example.org"}),
        "audit log, page 500": lambda: c.http.get(f"{c.base}/audit/", params={"page": 500}),
        "accounts": lambda: c.http.get(f"{c.base}/accounts/"),
    }


def upload(c: Console, rows: int, scratch: Path) -> tuple[float, str]:
    sheet = scratch / f"upload-{rows}.xlsx"
    write_tables(sheet, {"offers": generated_offers(rows, seed=11)})
    token = c.token(c.http.get(f"{c.base}/content/").text)
    with Timer() as timer, sheet.open("rb") as handle:
        response = c.http.post(f"{c.base}/content/upload", data={"csrf_token": token},
                               files={"file": (sheet.name, handle, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
    assert response.status_code == 200, response.status_code
    shown = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))
    return timer.seconds, shown


def run(name: str, url: str, args: argparse.Namespace, scratch: Path) -> None:
    with Timer() as filling:
        fill(url, args.offers, args.audit, scratch)
    print(f"{name}: filled with {args.offers} offers and {args.audit} audit entries in {filling.seconds:.1f} s")
    c = Console(url, scratch / f"console-{name}.log")
    try:
        worst = 0.0
        for page, call in pages(c, args.offers).items():
            latencies = timed(call, args.requests)
            worst = max(worst, percentile(latencies, 95))
            print(f"{name:10} {summary(page, latencies, 24)}")
        print(f"{name:10} worst page p95: {worst:.1f} ms (target ≤ 200 ms)")
        seconds, shown = upload(c, args.upload_rows, scratch)
        ok = "nichts gespeichert" in shown.lower() or "übernehmen" in shown.lower()
        print(f"{name:10} upload of a {args.upload_rows}-row .xlsx validated and shown as a diff: {seconds:.1f} s "
              f"(target ≤ 10 s){'' if ok else '  [page did not show a diff!]'}")
    finally:
        c.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--audit", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--upload-rows", type=int, default=5_000)
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
