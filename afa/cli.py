"""`afa`: the staff and developer command line (set-up, content, catalogues, training, serving, chat)."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from sqlalchemy.orm import Session

from afa.settings import Settings, get_settings

logger = logging.getLogger("afa")


def _engine(settings: Settings):
    from afa.db import create_schema, make_engine

    engine = make_engine(settings.database_url)
    create_schema(engine)
    return engine


def cmd_setup(settings: Settings, args: argparse.Namespace) -> int:
    """Create the schema and seed the content, unless the database already holds content (staff edits stay)."""
    from afa.content import is_seeded, load_content_file

    engine = _engine(settings)
    with Session(engine, future=True) as session, session.begin():
        if is_seeded(session):
            print(f"database ready ({engine.url.render_as_string(hide_password=True)}), content already loaded")
            return 0
        report = load_content_file(session, settings.content_file)
    # Duplicate contacts of the source page were logged as warnings by the loader.
    print(f"database seeded: {report.faq_answers} FAQ answers, {report.teams} teams, {report.coaches} coaches")
    return 0


def cmd_content_load(settings: Settings, args: argparse.Namespace) -> int:
    from afa.content import ContentError, load_content_file

    path = Path(args.path) if args.path else settings.content_file
    engine = _engine(settings)
    try:
        with Session(engine, future=True) as session, session.begin():
            report = load_content_file(session, path)
    except ContentError as exc:
        for error in exc.errors:
            print(f"error: {error}", file=sys.stderr)
        print("nothing was written", file=sys.stderr)
        return 1
    print(f"loaded {path}: {report.faq_answers} FAQ answers, {report.teams} teams, {report.coaches} coaches")
    return 0


def cmd_content_check(settings: Settings, args: argparse.Namespace) -> int:
    from afa.content import ContentError, read_content_file, validate

    path = Path(args.path) if args.path else settings.content_file
    try:
        errors, warnings = validate(read_content_file(path))
    except ContentError as exc:
        errors, warnings = exc.errors, []
    for error in errors:
        print(f"error: {error}")
    for warning in warnings:
        print(f"warning: {warning}")
    print(f"{path}: {len(errors)} error(s), {len(warnings)} warning(s)")
    return 1 if errors else 0


def cmd_i18n_compile(settings: Settings, args: argparse.Namespace) -> int:
    from afa.catalogues import catalogue_problems, compile_catalogues

    if args.check_only:
        problems = catalogue_problems(settings.locales_dir)
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1 if problems else 0
    try:
        written = compile_catalogues(settings.locales_dir)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"compiled {len(written)} catalogues")
    return 0


def cmd_train(settings: Settings, args: argparse.Namespace) -> int:
    from afa.training import model_path, train

    existed = model_path(settings).exists()
    path = train(settings, force=args.force)
    print(f"model {'up to date' if existed and not args.force else 'trained'}: {path}")
    return 0


def cmd_actions(settings: Settings, args: argparse.Namespace) -> int:
    from afa.action_server import run

    run(settings)
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from afa.serve import PortTaken, serve_forever
    from afa.training import train

    try:
        return serve_forever(settings, train(settings))
    except PortTaken as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def cmd_chat(settings: Settings, args: argparse.Namespace) -> int:
    from afa.chat import chat

    return chat(args.url or settings.rasa_url)


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    """Servers in the background (logs in var/log/), the terminal chat in the foreground."""
    from afa.chat import chat
    from afa.serve import PortTaken, Services
    from afa.training import train

    model = train(settings)
    if settings.telegram_token:
        print("TELEGRAM_BOT_TOKEN is set, but the Telegram front end is not part of this version; "
              "starting the terminal chat.")
    print("starting the action server and Rasa (about 30 s) ...", flush=True)
    try:
        with Services(settings, model, log_dir=settings.root / "var" / "log"):
            return chat(settings.rasa_url)
    except PortTaken as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="afa", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("setup", help="create the database schema and seed the content if empty").set_defaults(func=cmd_setup)

    content = sub.add_parser("content", help="programme content (FAQ answers, teams, coaches)")
    content_sub = content.add_subparsers(dest="content_command", required=True)
    load = content_sub.add_parser("load", help="validate a content file and replace the content in the database")
    load.add_argument("path", nargs="?")
    load.set_defaults(func=cmd_content_load)
    check = content_sub.add_parser("check", help="validate a content file and list warnings")
    check.add_argument("path", nargs="?")
    check.set_defaults(func=cmd_content_check)

    i18n = sub.add_parser("i18n", help="check and compile the gettext catalogues")
    i18n.add_argument("--check-only", action="store_true")
    i18n.set_defaults(func=cmd_i18n_compile)

    train = sub.add_parser("train", help="train the Rasa model if its inputs changed")
    train.add_argument("--force", action="store_true")
    train.set_defaults(func=cmd_train)

    sub.add_parser("actions", help="run the action server with the NLG endpoint").set_defaults(func=cmd_actions)
    sub.add_parser("serve", help="run Rasa (REST + HTTP API) and the action server").set_defaults(func=cmd_serve)
    chat = sub.add_parser("chat", help="chat in the terminal with a running server")
    chat.add_argument("--url")
    chat.set_defaults(func=cmd_chat)
    sub.add_parser("run", help="serve in the background and chat in the terminal").set_defaults(func=cmd_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return int(args.func(settings, args) or 0)


if __name__ == "__main__":
    sys.exit(main())
