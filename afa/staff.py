"""Staff accounts of the console: roles, passwords (Argon2id), server-side sessions, one-time links and the
slow-down of repeated failed logins. Data functions take the caller's session; nothing here knows Flask.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, delete, func, select
from sqlalchemy.orm import Session, relationship

from afa.db import Base, as_utc, utcnow

ROLES = ("admin", "editor", "viewer")  # each may do what the ones after it may
SESSION_LIFETIME = timedelta(hours=12)
SESSION_IDLE = timedelta(hours=2)
SETUP_LIFETIME = timedelta(hours=24)
RESET_LIFETIME = timedelta(hours=48)
FREE_FAILURES = 3  # typos are free; from the next failure on, each try waits longer
FAILURES_FORGOTTEN = timedelta(hours=24)
MIN_PASSWORD = 10

# Argon2id with the library's defaults (RFC 9106 "low memory" profile: 64 MiB, 3 passes): memory-hard.
_hasher = PasswordHasher()


class StaffUser(Base):
    __tablename__ = "staff_users"
    id = Column(Integer, primary_key=True)
    email = Column(String(254), unique=True, nullable=False)  # stored lower-case
    name = Column(String(200), nullable=False, default="")
    role = Column(String(16), nullable=False, default="viewer")
    password_hash = Column(String(200), nullable=True)  # None until the person has chosen one via their link
    active = Column(Boolean, nullable=False, default=True)
    language = Column(String(8), nullable=False, default="de")  # console language: de, or en
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_login_at = Column(DateTime(timezone=True), nullable=True)

    def may(self, role: str) -> bool:
        """True when this account's role includes `role` (admin ⊃ editor ⊃ viewer)."""
        return self.active and ROLES.index(self.role) <= ROLES.index(role)


class StaffSession(Base):
    """A login; the cookie holds the token, the database only its hash, so logout ends it on the server."""

    __tablename__ = "staff_sessions"
    token_hash = Column(String(64), primary_key=True)
    user_id = Column(Integer, ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_seen_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    user = relationship("StaffUser", lazy="joined")


class StaffToken(Base):
    """A one-time link: the first admin's set-up, or a password (re)set for an account."""

    __tablename__ = "staff_tokens"
    token_hash = Column(String(64), primary_key=True)
    purpose = Column(String(16), nullable=False)  # "setup" or "password"
    user_id = Column(Integer, ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at = Column(DateTime(timezone=True), nullable=False)
    used_at = Column(DateTime(timezone=True), nullable=True)


class LoginFailure(Base):
    """Failed logins per account and per address ("account:x@y", "address:1.2.3.4"), for the growing delay."""

    __tablename__ = "login_failures"
    key = Column(String(300), primary_key=True)
    failures = Column(Integer, nullable=False, default=0)
    last_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


# --- passwords ----------------------------------------------------------------------------------------
def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: StaffUser, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_hex(16))


def spend_password_time(password: str) -> None:
    """An unknown account costs as much time as a known one, so the answer time tells nothing."""
    try:
        _hasher.verify(_dummy_hash(), password)
    except VerificationError:
        pass


# --- accounts -----------------------------------------------------------------------------------------
def has_accounts(session: Session) -> bool:
    return session.scalar(select(func.count()).select_from(StaffUser)) > 0


def by_email(session: Session, email: str) -> Optional[StaffUser]:
    return session.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email)))


def add_user(session: Session, email: str, role: str, name: str = "", password: Optional[str] = None) -> StaffUser:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
    user = StaffUser(email=normalise_email(email), role=role, name=name.strip(),
                     password_hash=hash_password(password) if password else None)
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: StaffUser, password: str) -> None:
    """A new password ends every session of the account."""
    user.password_hash = hash_password(password)
    end_sessions(session, user.id)


def deactivate(session: Session, user: StaffUser) -> None:
    user.active = False
    end_sessions(session, user.id)


# --- sessions -----------------------------------------------------------------------------------------
def start_session(session: Session, user: StaffUser, now: Optional[datetime] = None) -> str:
    token = secrets.token_urlsafe(32)
    now = now or utcnow()
    session.add(StaffSession(token_hash=digest(token), user_id=user.id, created_at=now, last_seen_at=now))
    user.last_login_at = now
    return token


def session_user(session: Session, token: str, now: Optional[datetime] = None) -> Optional[StaffUser]:
    """The account of a live session (not logged out, not expired, account active), refreshing its idle clock."""
    now = now or utcnow()
    found = session.get(StaffSession, digest(token))
    if found is None:
        return None
    if (now - as_utc(found.created_at) > SESSION_LIFETIME or now - as_utc(found.last_seen_at) > SESSION_IDLE
            or not found.user.active):
        session.delete(found)
        return None
    if now - as_utc(found.last_seen_at) > timedelta(minutes=1):  # not a write on every request
        found.last_seen_at = now
    return found.user


def end_session(session: Session, token: str) -> None:
    session.execute(delete(StaffSession).where(StaffSession.token_hash == digest(token)))


def end_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(StaffSession).where(StaffSession.user_id == user_id))


# --- one-time links -----------------------------------------------------------------------------------
def issue_token(session: Session, purpose: str, user: Optional[StaffUser] = None,
                lifetime: Optional[timedelta] = None) -> str:
    """A new one-time token; earlier unused ones of the same purpose and account stop working."""
    token = secrets.token_urlsafe(24)
    now = utcnow()
    session.execute(delete(StaffToken).where(StaffToken.purpose == purpose, StaffToken.used_at.is_(None),
                                             StaffToken.user_id == (user.id if user else None)))
    lifetime = lifetime or (SETUP_LIFETIME if purpose == "setup" else RESET_LIFETIME)
    session.add(StaffToken(token_hash=digest(token), purpose=purpose, user_id=user.id if user else None,
                           created_at=now, expires_at=now + lifetime))
    return token


def valid_token(session: Session, token: str, purpose: str, now: Optional[datetime] = None) -> Optional[StaffToken]:
    found = session.get(StaffToken, digest(token))
    now = now or utcnow()
    if found is None or found.purpose != purpose or found.used_at is not None or as_utc(found.expires_at) < now:
        return None
    return found


# --- failed logins ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Throttle:
    base_seconds: float
    max_seconds: float

    def delay(self, failures: int) -> float:
        """Seconds to wait after `failures` failed tries in a row: none for the first few, then doubling."""
        if failures < FREE_FAILURES:
            return 0.0
        return min(self.base_seconds * 2 ** (failures - FREE_FAILURES), self.max_seconds)

    def wait_left(self, session: Session, keys: list[str], now: Optional[datetime] = None) -> float:
        """How long the next try must still wait: the longest of the account's and the address's delays."""
        now = now or utcnow()
        left = 0.0
        for row in session.scalars(select(LoginFailure).where(LoginFailure.key.in_(keys))):
            since = (now - as_utc(row.last_at)).total_seconds()
            left = max(left, self.delay(row.failures) - since)
        return max(left, 0.0)

    def failed(self, session: Session, keys: list[str], now: Optional[datetime] = None) -> None:
        now = now or utcnow()
        for key in keys:
            row = session.get(LoginFailure, key)
            if row is None:
                session.add(LoginFailure(key=key, failures=1, last_at=now))
                continue
            row.failures = 1 if now - as_utc(row.last_at) > FAILURES_FORGOTTEN else row.failures + 1
            row.last_at = now

    @staticmethod
    def succeeded(session: Session, keys: list[str]) -> None:
        session.execute(delete(LoginFailure).where(LoginFailure.key.in_(keys)))


def throttle_keys(email: str, address: str) -> list[str]:
    return [f"account:{normalise_email(email)}"[:300], f"address:{address}"[:300]]
