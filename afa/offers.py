"""Finding offers for a person's situation, and showing one in the reader's language."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from babel.numbers import format_currency
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from afa import LANGUAGES
from afa.content.store import offer_columns
from afa.db import Offer, OfferDistrict, OfferLanguage, OfferTargetGroup, OfferTopic
from afa.i18n import N_, gettext
from afa.schedule import ScheduleError, render_schedule

PAGE_SIZE = 3

EXAMPLE_MARKER = N_("Example offer for demonstration, not a real course")
WHERE = N_("Where")
WHEN = N_("When")
CONTACT = N_("Contact")
COST = N_("Cost")
FREE = N_("free of charge")


@dataclass(frozen=True)
class Page:
    keys: list[str]
    total: int
    page: int

    @property
    def has_more(self) -> bool:
        return (self.page + 1) * PAGE_SIZE < self.total


def _matching(query, target_group: str | None, district: str, today: date, topic: str | None = None):  # type: ignore[no-untyped-def]
    """Restrict `query` to active, current offers in the district: of the topic when one is asked for, otherwise
    for the group (when the person named one; none at all: every offer in the district)."""
    query = query.join(OfferDistrict, and_(OfferDistrict.offer_id == Offer.id, OfferDistrict.district == district))
    if topic:
        query = query.join(OfferTopic, and_(OfferTopic.offer_id == Offer.id, OfferTopic.topic == topic))
    elif target_group:
        query = query.join(
            OfferTargetGroup, and_(OfferTargetGroup.offer_id == Offer.id, OfferTargetGroup.target_group == target_group)
        )
    return query.where(
        Offer.active.is_(True),
        or_(Offer.valid_from.is_(None), Offer.valid_from <= today),
        or_(Offer.valid_until.is_(None), Offer.valid_until >= today),
    )


def search(
    session: Session,
    target_group: str | None,
    district: str,
    language: str,
    page: int = 0,
    today: date | None = None,
    topic: str | None = None,
) -> Page:
    """Active, current offers in the district, ranked: the topic asked for (only its offers), then the person's
    group, then those given in the reader's language, real offers before examples. Without a topic the group
    selects; with neither, every offer in the district. One query: the total comes with the page (a window count)."""
    today = today or date.today()
    order = []
    if topic and target_group:  # the topic selects, the group ranks
        for_group = exists().where(OfferTargetGroup.offer_id == Offer.id, OfferTargetGroup.target_group == target_group)
        order.append(case((for_group, 0), else_=1))
    in_language = exists().where(OfferLanguage.offer_id == Offer.id, OfferLanguage.language == language)
    order += [case((in_language, 0), else_=1), Offer.example, Offer.id]
    query = (
        _matching(select(Offer.key, func.count().over().label("total")), target_group, district, today, topic)
        .order_by(*order)
        .offset(page * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    rows = session.execute(query).all()
    if rows:
        return Page([row.key for row in rows], int(rows[0].total), page)
    total = 0
    if page:  # past the last page the window count is not there: count once ("more" after the end)
        counted = _matching(select(func.count()).select_from(Offer), target_group, district, today, topic)
        total = session.scalar(counted) or 0
    return Page([], total, page)


class CardText(Protocol):
    title: str
    summary: str


class CardSource(Protocol):
    """What a card is made of: a stored `afa.db.Offer`, or an `OfferDraft` that nothing has written yet."""

    example: bool
    address: str
    schedule: str
    contact_phone: str
    contact_email: str
    cost_cents: int

    def text(self, language: str) -> CardText: ...


@dataclass(frozen=True)
class DraftText:
    title: str
    summary: str


@dataclass(frozen=True)
class OfferDraft:
    """An offer as a form holds it (a validated record of kind "offers"), shaped for `render_card`: the console
    previews the card before anything is saved."""

    example: bool
    address: str
    schedule: str
    contact_phone: str
    contact_email: str
    cost_cents: int
    texts: dict[str, DraftText]

    def text(self, language: str) -> DraftText:
        return self.texts[language]

    @classmethod
    def of(cls, record: dict[str, Any]) -> "OfferDraft":
        columns = offer_columns(record)  # the defaults and conversions a saved offer gets
        texts = {lang: DraftText(record[f"title_{lang}"], record[f"summary_{lang}"]) for lang in LANGUAGES}
        return cls(columns["example"], columns["address"], columns["schedule"], columns["contact_phone"],
                   columns["contact_email"], columns["cost_cents"], texts)


def render_offer(session: Session, key: str, language: str) -> str | None:
    """The stored offer `key` as the bot sends it, or None if there is no such offer."""
    offer = session.scalar(select(Offer).where(Offer.key == key))
    if offer is None:
        return None
    return render_card(offer, language)


def render_card(offer: CardSource, language: str) -> str:
    """One offer as a message: title, summary, where, when, contact, cost, and the example marker."""
    text = offer.text(language)
    lines = [text.title]
    if offer.example:
        lines.append(f"⚠️ {gettext(language, EXAMPLE_MARKER)}")
    lines.append(text.summary)
    if offer.address:
        lines.append(f"📍 {gettext(language, WHERE)}: {offer.address}")
    try:
        when = render_schedule(offer.schedule, language)
    except ScheduleError:  # validated on import; a hand-edited database row must not break the reply
        when = offer.schedule
    if when:
        lines.append(f"🕒 {gettext(language, WHEN)}: {when}")
    contact = ", ".join(x for x in (offer.contact_phone, offer.contact_email) if x)
    if contact:
        lines.append(f"☎️ {gettext(language, CONTACT)}: {contact}")
    cost = Decimal(offer.cost_cents or 0) / 100
    price = gettext(language, FREE) if cost == 0 else format_currency(cost, "EUR", locale=language)
    lines.append(f"💶 {gettext(language, COST)}: {price}")
    return "\n".join(lines)
