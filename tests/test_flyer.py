"""Flyers and QR codes made by `afa flyer`: every language's PDF rendered by poppler (`pdftoppm`), its QR code
decoded (zxing-cpp) to exactly the bot's link, its text layer (`pdftotext`) with ş/ğ/ı, ș/ț and Cyrillic intact,
the font embedded (`pdffonts`), A4 and A6; PNG and SVG QR codes; and the command's exit codes for bad input."""
from __future__ import annotations

import base64
import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy.orm import Session

from afa import LANGUAGES
from afa.cli import main
from afa.i18n import gettext
from afa.reach import entry_points
from afa.reach.flyer import HEADLINE, LINE_ASK, LINE_SCAN, LINE_WEB

BOT = "AfaStadtteilTestBot"
AFA = str(Path(sys.executable).with_name("afa"))
# Letters that only survive with a font that has them and a text layer that maps them back (ToUnicode).
SPECIAL = {"tr": ("ş", "ğ", "ı"), "ro": ("ș", "ț", "ă", "î"), "bg": ("Работа", "квартал"), "de": ("ö",)}
PAGE_POINTS = {"a4": (595.276, 841.89), "a6": (297.638, 419.528)}


@pytest.fixture(autouse=True)
def bot_username(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", BOT)
    monkeypatch.delenv("WEBCHAT_PUBLIC_URL", raising=False)


def _entry(engine, district: str, language: str, name: str = "Aushang") -> str:  # type: ignore[no-untyped-def]
    with Session(engine, future=True) as s, s.begin():
        return entry_points.create(s, name, district, language, "test").payload


def _rendered(pdf: Path, dpi: int = 150) -> Image.Image:
    """The page as poppler renders it (what a printer or screen shows)."""
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(pdf), str(pdf.with_suffix(""))],
                   check=True, capture_output=True)
    return Image.open(pdf.with_suffix(".png")).convert("L")


def _qr_texts(image: Image.Image) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(image) if b.format == zxingcpp.BarcodeFormat.QRCode]


def _text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True).stdout
    return re.sub(r"\s+", " ", out.decode("utf-8"))


def _fonts(pdf: Path) -> list[list[str]]:
    """pdffonts' table: name, type, encoding, emb, sub, uni, ... per font."""
    out = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
    return [line.split() for line in out.splitlines()[2:] if line.strip()]


def _page_size(pdf: Path) -> tuple[float, float]:
    out = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    match = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", out)
    assert match, out
    return float(match.group(1)), float(match.group(2))


def _flyer(payload: str, out: Path, *extra: str) -> int:
    return main(["flyer", payload, "--out", str(out), *extra])


def _assert_fonts_embedded(pdf: Path) -> None:
    fonts = _fonts(pdf)
    names = {row[0].split("+")[-1] for row in fonts}
    assert {"DejaVuSans", "DejaVuSans-Bold"} <= names, fonts
    assert all(row[-5] == "yes" for row in fonts), fonts  # emb = yes for every font: nothing left to the viewer


@pytest.mark.parametrize("size", ["a4", "a6"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_flyer_in_every_language(seeded_engine, tmp_path: Path, language: str, size: str) -> None:
    payload = _entry(seeded_engine, "marxloh", language, "Moschee Marxloh, Aushang")
    assert payload.startswith(f"marxloh_{language}_c")
    pdf = tmp_path / f"flyer-{language}.pdf"
    assert _flyer(payload, pdf, "--size", size) == 0

    assert _qr_texts(_rendered(pdf)) == [f"https://t.me/{BOT}?start={payload}"]
    text = _text(pdf)
    for shown in {language, "de"}:  # the entry point's language and German (once for a German entry point)
        for message in (HEADLINE, LINE_ASK, LINE_SCAN):
            assert gettext(shown, message) in text, (shown, message)
    if language != "de":
        assert text.index(gettext(language, HEADLINE)) < text.index(gettext("de", HEADLINE))  # its language first
    for letters in SPECIAL[language]:
        assert letters in text
    assert f"https://t.me/{BOT}?start={payload}" in text
    assert "Aktiv für Arbeit im Stadtteil" in text and "Duisburg-Marxloh" in text
    assert "Netzwerkcoach-Team Marxloh" in text  # the team's name, from the database
    others = [lang for lang in LANGUAGES if lang not in (language, "de")]
    assert not any(gettext(other, HEADLINE) in text for other in others)
    _assert_fonts_embedded(pdf)
    assert _page_size(pdf) == pytest.approx(PAGE_POINTS[size], abs=0.01)


@pytest.mark.parametrize("payload, languages, place", [
    ("hochfeld_tr", ("tr", "de"), "Duisburg-Hochfeld"),
    ("marxloh", ("de",), "Duisburg-Marxloh"),
    ("ro", ("ro", "de"), "Duisburg"),
    ("HOCHFELD-BG", ("bg", "de"), "Duisburg-Hochfeld"),
])
def test_plain_payloads_keep_working(seeded_engine, tmp_path: Path, payload: str, languages: tuple[str, ...],
                                     place: str) -> None:
    pdf = tmp_path / "plain.pdf"
    assert _flyer(payload, pdf, "--size", "a6") == 0
    normalised = payload.lower()
    assert _qr_texts(_rendered(pdf, dpi=200)) == [f"https://t.me/{BOT}?start={normalised}"]
    text = _text(pdf)
    for language in LANGUAGES:
        assert (gettext(language, HEADLINE) in text) == (language in languages), language
    assert place in text
    _assert_fonts_embedded(pdf)


def test_the_web_chat_link_is_printed_when_configured(seeded_engine, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBCHAT_PUBLIC_URL", "https://chat.example.org/afa")
    pdf = tmp_path / "web.pdf"
    assert _flyer("marxloh_ro", pdf) == 0
    text = _text(pdf)
    assert "https://chat.example.org/afa?start=marxloh_ro" in text
    assert gettext("ro", LINE_WEB) in text and gettext("de", LINE_WEB) in text
    assert _qr_texts(_rendered(pdf)) == [f"https://t.me/{BOT}?start=marxloh_ro"]  # the QR code stays Telegram's
    monkeypatch.delenv("WEBCHAT_PUBLIC_URL")
    assert _flyer("marxloh_ro", pdf) == 0
    assert "chat.example.org" not in _text(pdf) and gettext("de", LINE_WEB) not in _text(pdf)


def _run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, **env}
    for name, value in env.items():
        if value == "":
            environment.pop(name)
    return subprocess.run([AFA, "flyer", *args], capture_output=True, text=True, env=environment, cwd=tmp_path,
                          timeout=120)


def test_the_command_refuses_bad_input_with_exit_status_2(seeded_engine, tmp_path: Path) -> None:
    inactive = _entry(seeded_engine, "hochfeld", "ro")
    with Session(seeded_engine, future=True) as s, s.begin():
        entry_points.deactivate(s, inactive)
    out = tmp_path / "out.pdf"
    cases = [
        (("berlin_xx", "--out", str(out)), "'berlin_xx' is not a deep-link payload of the bot"),
        (("marxloh tr", "--out", str(out)), "is not a deep-link payload of the bot"),
        (("marxloh_tr_c999", "--out", str(out)), "There is no entry point with the payload marxloh_tr_c999."),
        (("marxloh_tr", "--out", str(tmp_path / "flyer.docx")), "use .pdf, .png or .svg"),
        (("marxloh_tr", "--out", str(tmp_path / "flyer")), "use .pdf, .png or .svg"),
        (("marxloh_tr", "--out", str(out), "--size", "a5"), "invalid choice: 'a5'"),
        (("marxloh_tr",), "the following arguments are required: --out"),
    ]
    for args, message in cases:
        result = _run(tmp_path, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr, (args, result.stderr)
        assert not out.exists() and not (tmp_path / "flyer.docx").exists()
    no_bot = _run(tmp_path, "marxloh_tr", "--out", str(out), TELEGRAM_BOT_USERNAME="")
    assert no_bot.returncode == 2 and "No bot username is configured (TELEGRAM_BOT_USERNAME)" in no_bot.stderr
    assert not out.exists()
    unwritable = _run(tmp_path, "marxloh_tr", "--out", str(tmp_path / "missing" / "dir" / "x.pdf"))
    assert unwritable.returncode == 1 and "cannot be written" in unwritable.stderr
    # A deactivated entry point still gets its flyer, with a warning: its scans now count under hochfeld_ro.
    kept = _run(tmp_path, inactive, "--out", str(out))
    assert kept.returncode == 0 and "is deactivated" in kept.stderr and out.read_bytes().startswith(b"%PDF")


# Last: Playwright's sync API keeps an event loop in this thread while the module's browser is open.
def test_png_and_svg_qr_codes_decode(seeded_engine, tmp_path: Path, browser: Any) -> None:
    payload = _entry(seeded_engine, "hochfeld", "bg")
    expected = f"https://t.me/{BOT}?start={payload}"
    png, svg = tmp_path / "qr.png", tmp_path / "qr.svg"
    assert _flyer(payload, png) == 0 and _flyer(payload, svg) == 0
    assert _qr_texts(Image.open(png).convert("L")) == [expected]
    assert svg.read_bytes().startswith(b"<?xml") and b"<svg" in svg.read_bytes()
    # The SVG as a browser draws it (Debian's Chromium), then decoded like a photo of the screen.
    page = browser.new_page(viewport={"width": 600, "height": 600})
    try:
        data = base64.b64encode(svg.read_bytes()).decode()
        page.set_content(f'<body style="margin:0;background:#fff"><img id="qr" style="width:500px" '
                         f'src="data:image/svg+xml;base64,{data}"></body>')
        shot = page.locator("#qr").screenshot()
    finally:
        page.close()
    assert _qr_texts(Image.open(io.BytesIO(shot)).convert("L")) == [expected]
