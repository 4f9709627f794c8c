"""How long a printable flyer takes: budget 1 s per PDF (issue 11).

    .venv/bin/python bench/flyer.py [--runs 20]

Renders the two-language flyer (Bulgarian and German, with a web chat link: the most text) as A4 and A6 PDF,
`--runs` times each, after one cold render that also registers the embedded font (printed on its own). Then the
QR codes (PNG, SVG), and once the whole `afa flyer` command as a new process (its start-up included). Exits 1 when
a PDF's p95 is over the budget.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, Timer, percentile, summary

from afa.reach.flyer import flyer_for, qr_png, qr_svg, render_pdf
from afa.settings import Settings

BUDGET_MS = 1000.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("TELEGRAM_BOT_USERNAME", "AfaStadtteilBot")
    os.environ.setdefault("WEBCHAT_PUBLIC_URL", "https://chat.example.org/afa")
    flyer = flyer_for(Settings(), "hochfeld_bg_c123456", team="Netzwerkcoach-Team Hochfeld")

    with Timer() as cold:
        size_bytes = len(render_pdf(flyer, "a4"))
    print(f"cold A4 render (font registration included): {cold.seconds * 1000:.1f} ms, {size_bytes} bytes")
    over = False
    for size in ("a4", "a6"):
        times = []
        for _ in range(args.runs):
            with Timer() as t:
                render_pdf(flyer, size)
            times.append(t.seconds * 1000)
        p95 = percentile(times, 95)
        over |= p95 > BUDGET_MS
        verdict = "ok" if p95 <= BUDGET_MS else "OVER"
        print(summary(f"flyer {size.upper()} PDF", times) + f"  {verdict} (≤ {BUDGET_MS:.0f} ms)")
    for name, make in (("QR code PNG", qr_png), ("QR code SVG", qr_svg)):
        times = []
        for _ in range(args.runs):
            with Timer() as t:
                make(flyer.telegram_url)
            times.append(t.seconds * 1000)
        print(summary(name, times))

    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{Path(folder) / 'bench.db'}"}
        afa = str(Path(sys.executable).with_name("afa"))
        start = time.perf_counter()
        subprocess.run([afa, "flyer", "hochfeld_bg", "--out", str(Path(folder) / "f.pdf")], check=True, env=env,
                       cwd=ROOT, capture_output=True)
        print(f"`afa flyer hochfeld_bg --out f.pdf` as a new process (imports, migration, render): "
              f"{(time.perf_counter() - start) * 1000:.0f} ms")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
