"""Database schema and engine (SQLAlchemy 1.4 in 2.0 style).

Nothing connects at import time: callers build an engine with `make_engine()` and own their sessions
(`with Session(engine) as s, s.begin(): ...`); data functions take the session.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    text,
    UniqueConstraint,
    create_engine,
    event,
    false as sa_false,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import declarative_base, deferred, relationship

Base = declarative_base()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


class Team(Base):
    """A network coach team; one per district."""

    __tablename__ = "teams"
    id = Column(Integer, primary_key=True)
    district = Column(String(32), unique=True, nullable=False)
    name = Column(String(200), nullable=False)
    telegram_chat_id = Column(BigInteger, nullable=True)
    # Weekly hours as staff write them ("mon-thu 09:00-16:00; fri 09:00-12:00"), parsed by afa.schedule.
    office_hours = Column(Text, nullable=False, default="")
    closed_days = Column(Text, nullable=False, default="")  # ISO dates, comma separated
    timezone = Column(String(64), nullable=False, default="Europe/Berlin")
    # The district's approximate boundary, "lat, lon; lat, lon; ..." (afa.geo): a shared location inside it
    # sets the conversation's district. Staff edit it like the office hours; empty: locations are not used.
    area = Column(Text, nullable=False, default="")
    # What the bot knows of the team's group: set when the group is linked and when the bot's membership changes.
    telegram_chat_title = Column(String(255), nullable=True)
    telegram_is_forum = Column(Boolean, nullable=True)
    bot_status = Column(String(16), nullable=True)  # Telegram's member status: member, administrator, left, kicked
    bot_can_manage_topics = Column(Boolean, nullable=True)
    bot_status_at = Column(DateTime(timezone=True), nullable=True)
    # Loaded with the team: a handover card names the coaches who speak the user's language after its session ended.
    coaches = relationship(
        "Coach", back_populates="team", order_by="Coach.position", cascade="all, delete-orphan", lazy="selectin"
    )


class Coach(Base):
    __tablename__ = "coaches"
    id = Column(Integer, primary_key=True)
    team_id = Column(Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False)
    position = Column(Integer, nullable=False, default=0)
    name = Column(String(200), nullable=False)
    phone = Column(String(64), nullable=False, default="")
    email = Column(String(200), nullable=False, default="")
    telegram_user_id = Column(BigInteger, nullable=True)
    languages = Column(String(64), nullable=False, default="")  # comma separated codes
    telegram_name = Column(String(200), nullable=True)  # the Telegram account's name when it was linked
    linked_at = Column(DateTime(timezone=True), nullable=True)
    # A team lead may pass on any of the team's handovers, not only their own (/transfer).
    is_lead = Column(Boolean, nullable=False, default=False, server_default=sa_false())
    # Absent until then (/away): reminders and the card's "speaks the language" line skip the coach.
    away_until = Column(DateTime(timezone=True), nullable=True)
    team = relationship("Team", back_populates="coaches")


class FaqAnswer(Base):
    """One answer per FAQ key and language; staff edit these, the next reply shows the change."""

    __tablename__ = "faq_answers"
    __table_args__ = (UniqueConstraint("key", "language", name="uq_faq_key_language"),)
    id = Column(Integer, primary_key=True)
    key = Column(String(64), nullable=False)
    language = Column(String(8), nullable=False)
    text = Column(Text, nullable=False)
    # A translation whose German original changed since it was last edited or checked (the bot keeps serving it).
    needs_update = Column(Boolean, nullable=False, default=False)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)


class FaqExample(Base):
    """Example questions for FAQ topics staff add; `afa train` turns them into training data."""

    __tablename__ = "faq_examples"
    __table_args__ = (UniqueConstraint("key", "language", "text", name="uq_faq_example"),)
    id = Column(Integer, primary_key=True)
    key = Column(String(64), nullable=False)
    language = Column(String(8), nullable=False)
    text = Column(Text, nullable=False)


class Fact(Base):
    """Programme facts used inside answers (e.g. the period), formatted per locale when rendered."""

    __tablename__ = "facts"
    key = Column(String(64), primary_key=True)
    date_value = Column(Date, nullable=True)


class Offer(Base):
    """A qualification or employment offer; `example` marks invented demo offers, shown as such."""

    __tablename__ = "offers"
    id = Column(Integer, primary_key=True)
    key = Column(String(100), unique=True, nullable=False)
    example = Column(Boolean, nullable=False, default=False)
    active = Column(Boolean, nullable=False, default=True)
    provider = Column(String(300), nullable=False)
    address = Column(String(300), nullable=False, default="")
    contact_phone = Column(String(64), nullable=False, default="")
    contact_email = Column(String(200), nullable=False, default="")
    schedule = Column(Text, nullable=False, default="")
    cost_cents = Column(Integer, nullable=False, default=0)  # euros × 100: exact on every database
    valid_from = Column(Date, nullable=True)
    valid_until = Column(Date, nullable=True)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)
    texts = relationship("OfferText", cascade="all, delete-orphan", lazy="selectin")
    districts = relationship("OfferDistrict", cascade="all, delete-orphan", lazy="selectin")
    target_groups = relationship("OfferTargetGroup", cascade="all, delete-orphan", lazy="selectin")
    languages = relationship("OfferLanguage", cascade="all, delete-orphan", lazy="selectin")
    topics = relationship("OfferTopic", cascade="all, delete-orphan", lazy="selectin")

    def text(self, language: str) -> "OfferText":
        return next(t for t in self.texts if t.language == language)


class OfferText(Base):
    __tablename__ = "offer_texts"
    offer_id = Column(Integer, ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True)
    language = Column(String(8), primary_key=True)
    title = Column(String(300), nullable=False)
    summary = Column(String(500), nullable=False)
    details = Column(Text, nullable=False)


class OfferDistrict(Base):
    __tablename__ = "offer_districts"
    offer_id = Column(Integer, ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True)
    district = Column(String(32), primary_key=True, index=True)


class OfferTargetGroup(Base):
    __tablename__ = "offer_target_groups"
    offer_id = Column(Integer, ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True)
    target_group = Column(String(32), primary_key=True, index=True)


class OfferLanguage(Base):
    __tablename__ = "offer_languages"
    offer_id = Column(Integer, ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True)
    language = Column(String(8), primary_key=True, index=True)


class OfferTopic(Base):
    """What kind of offer it is (afa.TOPICS): the finder shows the topic asked for first."""

    __tablename__ = "offer_topics"
    offer_id = Column(Integer, ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True)
    topic = Column(String(32), primary_key=True, index=True)


class UnansweredQuestion(Base):
    """A message the bot did not understand, kept for staff review (no user id on purpose)."""

    __tablename__ = "unanswered_questions"
    id = Column(Integer, primary_key=True)
    text = Column(Text, nullable=False)
    language = Column(String(8), nullable=False)
    intent_guess = Column(String(64), nullable=True)
    confidence = Column(Float, nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    # A keyed hash of the conversation (afa.privacy.pseudonym): finds the rows on a deletion request, never exported.
    conversation_key = Column(String(64), nullable=True, index=True)


class ConsentRecord(Base):
    """When the privacy notice was shown to a conversation (so it is shown once, and erased with the rest)."""

    __tablename__ = "consent_records"
    conversation_id = Column(String(64), primary_key=True)
    shown_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class Redaction(Base):
    """A message in a team group to mark as deleted (a card) or remove (a relayed copy) after an erasure."""

    __tablename__ = "redactions"
    id = Column(Integer, primary_key=True)
    chat_id = Column(BigInteger, nullable=False)
    message_id = Column(BigInteger, nullable=False)
    action = Column(String(8), nullable=False)  # "card" (edit to a note) or "delete"
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class ConversationPref(Base):
    """What the bot remembers about a conversation outside Rasa: its language, for texts sent while Rasa is away."""

    __tablename__ = "conversation_prefs"
    conversation_id = Column(String(64), primary_key=True)
    language = Column(String(8), nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)


# Handover states: waiting (in the team's queue) → active (a coach accepted) → closed; or waiting → cancelled.
HANDOVER_OPEN = ("waiting", "active")


class Handover(Base):
    """A conversation handed over to a coach team: the queue entry, who accepted it, where it is relayed."""

    __tablename__ = "handovers"
    # A number is never given twice: after /delete removes a person's newest handovers, SQLite would otherwise reuse
    # their ids, and a team group would see "#5" (in /open, on the cards' history) for two different people.
    __table_args__ = {"sqlite_autoincrement": True}
    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(64), nullable=False, index=True)  # Rasa sender id = the user's Telegram chat
    team_id = Column(Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False)
    language = Column(String(8), nullable=False)
    target_group = Column(String(32), nullable=True)
    status = Column(String(16), nullable=False, default="waiting", index=True)
    summary = Column(Text, nullable=False, default="")  # JSON: topics asked and the last messages, for the card
    opened_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    accepted_at = Column(DateTime(timezone=True), nullable=True)
    closed_at = Column(DateTime(timezone=True), nullable=True)
    reminded_at = Column(DateTime(timezone=True), nullable=True)
    coach_user_id = Column(BigInteger, nullable=True)
    coach_name = Column(String(200), nullable=True)
    group_chat_id = Column(BigInteger, nullable=True)
    card_message_id = Column(BigInteger, nullable=True)
    # When a front end claimed posting the card; deferred: only the claims read it (in SQL), and loading a handover
    # must not need it, and server_default keeps it out of INSERTs (the migration tests open handovers on a schema
    # from before 0013).
    card_claimed_at = deferred(Column(DateTime(timezone=True), nullable=True, server_default=text("NULL")))
    topic_id = Column(BigInteger, nullable=True)  # forum topic (message_thread_id) when the group has topics
    # What the reach statistics count Accept and the end under (afa.reach): the channel and the campaign entry point
    # (a deep-link payload) of the request. Codes only, nothing personal.
    channel = Column(String(16), nullable=False, default="telegram", server_default="telegram")
    entry_point = Column(String(64), nullable=False, default="", server_default="")
    outcome_note = Column(Text, nullable=True)  # "/end appointment made": kept as long as the handover
    transferred_at = Column(DateTime(timezone=True), nullable=True)  # last passed on (/transfer)
    previous_team_id = Column(Integer, nullable=True)  # the team that passed it to this one, if another
    team = relationship("Team", lazy="joined")  # cards and texts need the team after the session has ended
    messages = relationship(
        "RelayedMessage", back_populates="handover", order_by="RelayedMessage.id", cascade="all, delete-orphan"
    )


class RelayedMessage(Base):
    """One message of a handover, in either direction, kept so a later coach sees the history."""

    __tablename__ = "relayed_messages"
    id = Column(Integer, primary_key=True)
    handover_id = Column(Integer, ForeignKey("handovers.id", ondelete="CASCADE"), nullable=False, index=True)
    direction = Column(String(8), nullable=False)  # "user" (to the coach) or "coach" (to the user)
    sender_id = Column(BigInteger, nullable=True)
    sender_name = Column(String(200), nullable=True)
    kind = Column(String(16), nullable=False, default="text")  # text, photo, voice, sticker, document, ...
    text = Column(Text, nullable=False, default="")  # text or caption
    source_chat_id = Column(BigInteger, nullable=False)
    source_message_id = Column(BigInteger, nullable=False)
    copy_message_id = Column(BigInteger, nullable=True, index=True)  # the copy in the other chat, once delivered
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    delivered_at = Column(DateTime(timezone=True), nullable=True)
    handover = relationship("Handover", back_populates="messages")


def make_engine(url: str, echo: bool = False) -> Engine:
    """Create an engine for `url`; SQLite files get their folder and foreign keys switched on."""
    parsed = make_url(url)
    # hide_parameters: a logged or raised SQL error shows the statement without its values (message texts, chat ids).
    kwargs = {"future": True, "echo": echo, "pool_pre_ping": True, "hide_parameters": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

    return engine


MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection=None):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` with Alembic (the only way the schema is created or changed)."""
    import logging

    from alembic import command

    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per step is noise at every start
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # a table rebuild (batch migration) drops the old table: that must not cascade to its references
            _foreign_keys(connection, False)
        try:
            with connection.begin():
                command.upgrade(alembic_config(connection), revision)
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                    raise RuntimeError("the migration left rows whose references are broken; nothing was changed")
        finally:
            if sqlite:
                _foreign_keys(connection, True)


def schema_name(name, type_, parent_names) -> bool:  # type: ignore[no-untyped-def]
    """Alembic's `include_name`: SQLite's own bookkeeping table (AUTOINCREMENT's `sqlite_sequence`) is no model's."""
    return not (type_ == "table" and name == "sqlite_sequence")


def _foreign_keys(connection, on: bool) -> None:  # type: ignore[no-untyped-def]
    """SQLite's foreign key enforcement, which can only change outside a transaction."""
    connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    connection.commit()


def create_schema(engine: Engine) -> None:
    migrate(engine)


_ENGINES: dict[str, Engine] = {}


def shared_engine(url: str) -> Engine:
    """One engine (and connection pool) per URL per process, created on first use."""
    if url not in _ENGINES:
        _ENGINES[url] = make_engine(url)
    return _ENGINES[url]


# The console's tables live in their own modules; importing them here puts them on `Base.metadata`, which
# Alembic and the migration test compare with the database.
from afa import audit, linking, staff, training_runs  # noqa: E402,F401  (after Base: they import it)
from afa.reach import tables as _reach_tables  # noqa: E402,F401


class ErasureRecord(Base):
    """One erasure of a person (afa.privacy.erase_conversation), by keyed pseudonym only, so that a restore
    (afa.backup) can erase again whoever was forgotten after the backup was taken."""

    __tablename__ = "erasure_ledger"
    id = Column(String(32), primary_key=True)  # random, also in the ledger file: the same erasure in both
    conversation_key = Column(String(64), nullable=False, index=True)  # afa.privacy.pseudonym, never the id
    erased_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
