"""`afa staff`: accounts from the command line, with one-time links, never a password on the command line."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from afa.audit import AuditEntry
from afa.db import make_engine
from afa.settings import PROJECT_ROOT, Settings
from afa.staff import by_email, valid_token

AFA = str(Path(sys.executable).with_name("afa"))


def _afa(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([AFA, *args], cwd=PROJECT_ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=120)


def test_staff_add_reset_list_deactivate(database_url: str) -> None:
    added = _afa("staff", "add", "Koordination@Example.org", "--role", "admin", "--name", "Koordination")
    assert added.returncode == 0, added.stderr
    link = added.stdout.strip().splitlines()[-1]
    assert link.startswith(f"{Settings().console_base_url}/password/")
    engine = make_engine(database_url)
    with Session(engine, future=True) as s:
        user = by_email(s, "koordination@example.org")
        assert user.role == "admin" and user.password_hash is None
        assert valid_token(s, link.rsplit("/", 1)[1], "password") is not None
    again = _afa("staff", "add", "koordination@example.org", "--role", "viewer")
    assert again.returncode == 1 and "exists already" in again.stderr
    reset = _afa("staff", "reset", "koordination@example.org")
    assert reset.returncode == 0 and reset.stdout.strip() != link
    with Session(engine, future=True) as s:
        assert valid_token(s, link.rsplit("/", 1)[1], "password") is None  # the older link stops working
    assert "koordination@example.org\tadmin\tactive\tKoordination" in _afa("staff", "list").stdout
    assert _afa("staff", "deactivate", "koordination@example.org").returncode == 0
    assert "\tdeactivated\t" in _afa("staff", "list").stdout
    missing = _afa("staff", "reset", "niemand@example.org")
    assert missing.returncode == 1 and "no account" in missing.stderr
    assert _afa("staff", "add", "x@example.org", "--role", "chef").returncode == 2  # argparse: not a role
    with Session(engine, future=True) as s:
        actions = [(e.actor, e.action) for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == [("cli", "created"), ("cli", "changed"), ("cli", "changed")]
    engine.dispose()
