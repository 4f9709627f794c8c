"""QR codes (PNG, SVG) and printable flyers (PDF, A4 and A6) that bring people into the bot through a deep link.

    flyer = flyer_for(settings, "marxloh_tr_c12", team="Netzwerkcoach-Team Marxloh")
    pdf = render_pdf(flyer, "a6")            # bytes; qr_png(flyer.telegram_url), qr_svg(...)

A flyer carries a headline and two lines in the payload's language and in German (German only for a payload
without a language, or a German one), the QR code, the link written out, and the programme's name. Its texts come
from the `messages` catalogues, so every language the bot speaks works. The font is DejaVu Sans as matplotlib (a
Rasa dependency) ships it, embedded in the PDF: it has Latin with ş/ğ/ı and ș/ț, and Cyrillic; nothing is fetched.
"""
from __future__ import annotations

import importlib.util
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

import segno

from afa import DEFAULT_LANGUAGE
from afa.content.tables import Text
from afa.i18n import N_, S_, gettext
from afa.reach import payloads
from afa.settings import Settings

PROGRAMME_NAME = "Aktiv für Arbeit im Stadtteil"  # a proper name: the same on every flyer, in every language
CITY = "Duisburg"
SIZES = {"a4": (595.2756, 841.8898), "a6": (297.6378, 419.5276)}  # points (1/72 inch): 210×297 mm, 105×148 mm
FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"

HEADLINE = N_("Work, courses and advice in your neighbourhood")
LINE_ASK = N_("Ask our chat assistant on Telegram: free of charge, in German, Turkish, Bulgarian or Romanian.")
LINE_SCAN = N_("Scan the code with your phone's camera or open the link:")
LINE_WEB = N_("Or chat in your web browser:")
LINE_PROGRAMME = N_("A service of “{programme}” in {place}")

# Printed in grey, the two colours stay apart: a dark teal band and near-black text.
BAND = (0.0, 0.30, 0.36)
INK = (0.1, 0.1, 0.1)
SOFT = (0.28, 0.28, 0.28)


class FlyerError(ValueError):
    """A flyer or QR code cannot be made; `text` says why (English str(), German in the console)."""

    def __init__(self, message: str, **params: object) -> None:
        self.text = Text(message, **params)
        super().__init__(str(self.text))


class UnknownPayload(FlyerError):
    """Not a payload of ours, or a campaign payload without its entry point."""


@dataclass(frozen=True)
class Flyer:
    """What one flyer says: the payload's link(s), its language and district, the team's name if known."""

    payload: str
    language: Optional[str]  # the language besides German; None: German only
    district: Optional[str]
    telegram_url: str
    webchat_url: str = ""
    team: str = ""

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages printed, the payload's first: ("tr", "de"), or ("de",)."""
        if self.language and self.language != DEFAULT_LANGUAGE:
            return (self.language, DEFAULT_LANGUAGE)
        return (DEFAULT_LANGUAGE,)


def webchat_link(base_url: str, payload: str) -> str:
    """The web chat's public address with the payload as `start` (the same parameter as Telegram's)."""
    if not base_url:
        return ""
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}start={payload}" if payload else base_url


def flyer_for(settings: Settings, payload: str, team: str = "") -> Flyer:
    """The flyer of a payload (`marxloh_tr_c12`, `hochfeld_tr`, `marxloh`, `ro`); FlyerError if it cannot be made."""
    link = payloads.parse(payload)
    if link is None or not link.payload:
        raise UnknownPayload(S_("{payload!r} is not a deep-link payload of the bot (examples: marxloh, hochfeld_tr, "
                                "ro, marxloh_tr_c12)."), payload=(payload or "")[:80])
    if not settings.telegram_bot_username:
        raise FlyerError(S_("No bot username is configured (TELEGRAM_BOT_USERNAME), so the flyer has no link to "
                            "print. Please set it and try again."))
    return Flyer(link.payload, link.language, link.district,
                 payloads.telegram_link(settings.telegram_bot_username, link.payload),
                 webchat_link(settings.webchat_public_url, link.payload), team)


# --- QR codes ---------------------------------------------------------------------------------------------
def qr(url: str) -> segno.QRCode:
    """A QR code for posters: error correction at least M (raised when the size allows), never a Micro QR."""
    return segno.make_qr(url, error="m", boost_error=True)


def qr_png(url: str, scale: int = 12) -> bytes:
    out = io.BytesIO()
    qr(url).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def qr_svg(url: str, scale: int = 10) -> bytes:
    out = io.BytesIO()
    qr(url).save(out, kind="svg", scale=scale, border=4, title=url, xmldecl=True)
    return out.getvalue()


# --- the PDF ------------------------------------------------------------------------------------------------
def font_dir() -> Path:
    """matplotlib's bundled TrueType fonts (found without importing matplotlib, which is slow)."""
    spec = importlib.util.find_spec("matplotlib")
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise FlyerError(S_("The flyer font (DejaVu Sans from matplotlib) is not installed."))
    return Path(locations[0]) / "mpl-data" / "fonts" / "ttf"


@lru_cache(maxsize=None)
def _register_fonts() -> None:
    """Register DejaVu Sans once per process; ReportLab embeds the glyphs a flyer uses (a subset)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = font_dir()
    for name, file in ((FONT, "DejaVuSans.ttf"), (FONT_BOLD, "DejaVuSans-Bold.ttf")):
        if not (folder / file).exists():
            raise FlyerError(S_("The flyer font (DejaVu Sans from matplotlib) is not installed."))
        pdfmetrics.registerFont(TTFont(name, str(folder / file)))


@dataclass(frozen=True)
class _Block:
    text: str
    font: str
    size: float
    colour: tuple[float, float, float]
    gap_before: float = 0.0


def _texts(flyer: Flyer, language: str) -> dict[str, str]:
    place = f"{CITY}-{flyer.district.capitalize()}" if flyer.district else CITY
    texts = {name: gettext(language, message) for name, message in
             (("headline", HEADLINE), ("ask", LINE_ASK), ("scan", LINE_SCAN), ("web", LINE_WEB))}
    texts["programme"] = gettext(language, LINE_PROGRAMME, programme=PROGRAMME_NAME, place=place)
    return texts


def _wrap(block: _Block, width: float) -> list[str]:
    from reportlab.lib.utils import simpleSplit

    return simpleSplit(block.text, block.font, block.size, width) or [""]


def _height(blocks: list[_Block], width: float) -> float:
    return sum(b.gap_before + len(_wrap(b, width)) * b.size * 1.25 for b in blocks)


def _draw(canvas, blocks: list[_Block], x: float, top: float, width: float,  # type: ignore[no-untyped-def]
          centred: bool = False) -> float:
    """Draw the blocks downwards from `top`; returns the y below the last line."""
    y = top
    for block in blocks:
        y -= block.gap_before
        canvas.setFillColorRGB(*block.colour)
        canvas.setFont(block.font, block.size)
        for line in _wrap(block, width):
            y -= block.size * 1.25
            if centred:
                canvas.drawCentredString(x + width / 2, y + block.size * 0.25, line)
            else:
                canvas.drawString(x, y + block.size * 0.25, line)
    return y


def _fitting(text: str, font: str, size: float, width: float) -> float:
    """The largest size up to `size` at which `text` (a link: never wrapped) fits on one line."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    wide = stringWidth(text, font, size)
    return size if wide <= width else size * width / wide


def _draw_qr(canvas, url: str, x: float, y: float, side: float) -> None:  # type: ignore[no-untyped-def]
    """The QR code as vector squares (one path: no seams, sharp at any print size), quiet zone included."""
    rows = [list(row) for row in qr(url).matrix_iter(border=4)]
    module = side / len(rows)
    path = canvas.beginPath()
    for r, row in enumerate(rows):
        top = y + side - (r + 1) * module
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                path.rect(x + start * module, top, (c - start) * module, module)
            else:
                c += 1
    canvas.setFillColorRGB(0, 0, 0)
    canvas.drawPath(path, stroke=0, fill=1)


def render_pdf(flyer: Flyer, size: str = "a4") -> bytes:
    """One page, A4 or A6: band with the programme, texts in the payload's language and German, QR code, link."""
    from reportlab.pdfgen.canvas import Canvas

    if size not in SIZES:
        raise FlyerError(S_("Unknown flyer size {size!r} (known: a4, a6)."), size=size)
    _register_fonts()
    page_w, page_h = SIZES[size]
    s = page_w / SIZES["a4"][0]  # A6 is A4 at half the scale ...
    type_scale = s * (1.0 if size == "a4" else 1.2)  # ... but its type a little larger, to stay readable in the hand
    margin = 42 * s
    width = page_w - 2 * margin
    texts = {language: _texts(flyer, language) for language in flyer.languages}
    first = flyer.languages[0]
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(page_w, page_h), pageCompression=1, initialFontName=FONT)
    canvas.setTitle(f"{texts[first]['headline']} – {PROGRAMME_NAME}")
    canvas.setAuthor(PROGRAMME_NAME)
    canvas.setSubject(flyer.telegram_url)
    canvas.setCreator("afa flyer")

    # The band: programme and place, white on teal.
    band = 54 * s
    canvas.setFillColorRGB(*BAND)
    canvas.rect(0, page_h - band, page_w, band, stroke=0, fill=1)
    place = f"{CITY}-{flyer.district.capitalize()}" if flyer.district else CITY
    canvas.setFillColorRGB(1, 1, 1)
    title = f"{PROGRAMME_NAME} · {place}"
    canvas.setFont(FONT_BOLD, _fitting(title, FONT_BOLD, 17 * type_scale, width))
    canvas.drawString(margin, page_h - band + 20 * s, title)

    link_size = _fitting(flyer.telegram_url, FONT_BOLD, 15 * type_scale, width)
    web_size = _fitting(flyer.webchat_url, FONT, 11 * type_scale, width) if flyer.webchat_url else 0.0
    for scale in (1.0, 0.92, 0.85, 0.78, 0.72, 0.66, 0.6):  # smaller type until the QR code has room
        f = type_scale * scale
        head: list[_Block] = []
        for i, language in enumerate(flyer.languages):
            t = texts[language]
            big = i == 0
            head += [_Block(t["headline"], FONT_BOLD, (30 if big else 19) * f, INK, (0 if big else 22) * f),
                     _Block(t["ask"], FONT, (15 if big else 11.5) * f, INK if big else SOFT, 9 * f),
                     _Block(t["scan"], FONT, (15 if big else 11.5) * f, INK if big else SOFT, 5 * f)]
        web = [_Block(texts[lang]["web"], FONT, 10.5 * f, SOFT, (8 if i == 0 else 1) * f)
               for i, lang in enumerate(flyer.languages)] if flyer.webchat_url else []
        foot = [_Block(texts[lang]["programme"], FONT, 9.5 * f, SOFT, 3 * f) for lang in flyer.languages]
        if flyer.team:
            foot.append(_Block(flyer.team, FONT, 9.5 * f, SOFT, 3 * f))
        top = page_h - band - 26 * s
        below_qr = 10 * s + link_size * 1.4 + (_height(web, width) + web_size * 1.5 if web else 0)
        room = top - _height(head, width) - 16 * s - below_qr - _height(foot, width) - margin
        side = min(room, width * 0.66, 320 * s)
        if side >= width * 0.4:
            break
    y = _draw(canvas, head, margin, top, width)
    qr_y = y - 16 * s - side
    _draw_qr(canvas, flyer.telegram_url, margin + (width - side) / 2, qr_y, side)
    canvas.setFillColorRGB(*INK)
    canvas.setFont(FONT_BOLD, link_size)
    link_y = qr_y - 10 * s - link_size
    canvas.drawCentredString(page_w / 2, link_y, flyer.telegram_url)
    canvas.linkURL(flyer.telegram_url, (margin, link_y - 3 * s, page_w - margin, qr_y + side), relative=0)
    if web:
        web_y = _draw(canvas, web, margin, link_y - link_size * 0.4, width, centred=True)
        canvas.setFont(FONT, web_size)
        canvas.setFillColorRGB(*SOFT)
        canvas.drawCentredString(page_w / 2, web_y - web_size * 1.2, flyer.webchat_url)
    # The footer sits on the bottom margin.
    _draw(canvas, foot, margin, margin + _height(foot, width), width)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def filename(payload: str, kind: str) -> str:
    """Download names: `flyer-marxloh_tr_c12-a4.pdf`, `qr-marxloh_tr_c12.png`."""
    return f"qr-{payload}.{kind}" if kind in ("png", "svg") else f"flyer-{payload}-{kind}.pdf"


KINDS = ("png", "svg", "a4", "a6")  # what `material` makes: the QR code as PNG or SVG, or the flyer in a size


@dataclass(frozen=True)
class Material:
    data: bytes
    filename: str
    mimetype: str
    inactive: bool = False  # a deactivated entry point: its scans count under the plain district/language payload


def material(session, settings: Settings, payload: str, kind: str) -> Material:  # type: ignore[no-untyped-def]
    """The QR code or flyer of a payload as the console and `afa flyer` deliver it. A campaign payload must name an
    entry point that exists; the team's name comes from the database. FlyerError when it cannot be made."""
    from afa.content.queries import teams
    from afa.reach.entry_points import get

    if kind not in KINDS:
        raise FlyerError(S_("Unknown kind {kind!r} (known: png, svg, a4, a6)."), kind=kind)
    link = payloads.parse(payload)
    entry = None
    if link is not None and link.entry_id is not None:
        entry = get(session, link.payload)
        if entry is None:
            raise UnknownPayload(S_("There is no entry point with the payload {payload}."), payload=link.payload)
    found = teams(session, link.district) if link is not None and link.district else []
    flyer = flyer_for(settings, payload, team=found[0].name if found else "")
    inactive = entry is not None and not entry.active
    if kind == "png":
        return Material(qr_png(flyer.telegram_url), filename(flyer.payload, "png"), "image/png", inactive)
    if kind == "svg":
        return Material(qr_svg(flyer.telegram_url), filename(flyer.payload, "svg"), "image/svg+xml", inactive)
    return Material(render_pdf(flyer, kind), filename(flyer.payload, kind), "application/pdf", inactive)
