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
    """An engine on DATABASE_URL with the schema migrated to the newest revision."""
    from afa.db import make_engine, migrate

    engine = make_engine(settings.database_url)
    migrate(engine)
    return engine


def _print_errors(errors: list[str]) -> None:
    for error in errors:
        print(f"error: {error}", file=sys.stderr)


def cmd_setup(settings: Settings, args: argparse.Namespace) -> int:
    """Migrate the schema and seed the content, unless the database already holds content (staff edits stay)."""
    from afa.content import ContentError, import_path, is_seeded

    engine = _engine(settings)
    with Session(engine, future=True) as session, session.begin():
        if is_seeded(session):
            print(f"database ready ({engine.url.render_as_string(hide_password=True)}), content already loaded")
            return 0
        try:
            changes, warnings = import_path(session, settings.content_path)
        except ContentError as exc:
            _print_errors(exc.errors)
            return 1
    for warning in warnings:
        logger.warning("content: %s", warning)
    print(f"database seeded from {settings.content_path}: {changes.summary()}")
    return 0


def cmd_content_import(settings: Settings, args: argparse.Namespace) -> int:
    """Validate every row first; any error: nothing written, exit 1. No error: one transaction."""
    from afa.content import ContentError, import_path

    engine = _engine(settings)
    try:
        with Session(engine, future=True) as session, session.begin():
            changes, warnings = import_path(session, Path(args.path), dry_run=args.dry_run)
            if args.dry_run:
                session.rollback()
    except ContentError as exc:
        _print_errors(exc.errors)
        print(f"{len(exc.errors)} error(s): nothing was written", file=sys.stderr)
        return 1
    for warning in warnings:
        print(f"warning: {warning}")
    print(("dry run, nothing written: " if args.dry_run else "imported: ") + changes.summary())
    return 0


def cmd_content_export(settings: Settings, args: argparse.Namespace) -> int:
    from afa.content import export_tables, write_tables

    engine = _engine(settings)
    with Session(engine, future=True) as session:
        tables = export_tables(session)
    try:
        written = write_tables(Path(args.path), tables)
    except ValueError as exc:
        _print_errors([str(exc)])
        return 1
    counts = ", ".join(f"{kind} {len(rows)}" for kind, rows in tables.items())
    print(f"exported {counts} to {', '.join(map(str, written))}")
    return 0


def cmd_content_check(settings: Settings, args: argparse.Namespace) -> int:
    """With a path: validate that file or folder. Without: warnings about the content in the database."""
    from afa.content import check_path
    from afa.content.checks import database_warnings

    if args.path:
        result = check_path(None, Path(args.path))
        errors, warnings = result.errors, result.warnings
    else:
        engine = _engine(settings)
        with Session(engine, future=True) as session:
            errors, warnings = [], database_warnings(session)
    _print_errors(errors)
    for warning in warnings:
        print(f"warning: {warning}")
    print(f"{args.path or 'database'}: {len(errors)} error(s), {len(warnings)} warning(s)")
    return 1 if errors else 0


def cmd_i18n_compile(settings: Settings, args: argparse.Namespace) -> int:
    from afa.catalogues import catalogue_problems, compile_catalogues, update_catalogues

    if args.extract:
        update_catalogues(settings.root)
        print("templates and catalogues updated: translate what `afa i18n` reports as not translated")
        return 0
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
    """Regenerate training data from the database, train if anything changed, load the model into every registered
    Rasa server (RASA_SERVERS); non-zero when it reached none."""
    from afa.training import publish

    result = publish(settings, None if args.no_generate else _engine(settings), force=args.force, swap=args.swap)
    if result.generated:
        print(f"training data from the database: {result.generated}")
    print(f"model {'trained' if result.trained else 'up to date'}: {result.model}")
    for server in result.servers:
        if server.loaded:
            print(f"loaded into the Rasa server at {server.url}")
        else:
            print(f"not loaded into the Rasa server at {server.url}: {server.problem}", file=sys.stderr)
    if args.swap and not result.swapped:
        print(f"error: no registered Rasa server loaded the model ({', '.join(s.url for s in result.servers)}); "
              "start one (afa serve) or register the running ones with RASA_SERVERS=http://host:port,...",
              file=sys.stderr)
        return 1
    return 0


def cmd_actions(settings: Settings, args: argparse.Namespace) -> int:
    from afa.action_server import run

    run(settings)
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from afa.serve import MissingToken, PortTaken, serve_forever
    from afa.training import train

    try:
        return serve_forever(settings, train(settings))
    except (PortTaken, MissingToken) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def cmd_chat(settings: Settings, args: argparse.Namespace) -> int:
    from afa.chat import chat

    return chat(args.url or settings.rasa_url)


def cmd_user_delete(settings: Settings, args: argparse.Namespace) -> int:
    """Erase everything about one person (a request by letter or phone): ID is their Telegram chat id."""
    from afa.privacy import erase_conversation

    engine = _engine(settings)
    with Session(engine, future=True) as session, session.begin():
        erased = erase_conversation(session, str(args.id), settings)
    details = ", ".join(f"{name}: {count}" for name, count in erased.counts.items())
    print(f"erased {erased.total} record(s) ({details}); cards in the team groups are marked by the running bot")
    return 0


def cmd_purge(settings: Settings, args: argparse.Namespace) -> int:
    """Remove what is older than the retention periods (the running bot also does this daily)."""
    from afa.db import utcnow
    from afa.privacy import purge

    engine = _engine(settings)
    with Session(engine, future=True) as session, session.begin():
        counts = purge(session, utcnow(), settings)
    print("purged: " + ", ".join(f"{name}: {count}" for name, count in counts.items()))
    return 0


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    """A consistent copy of the database while the bot runs (SQLite: online backup API; PostgreSQL: pg_dump)."""
    from afa.backup import BackupError, backup

    try:
        print(backup(settings, Path(args.path)))
    except BackupError as exc:
        _print_errors([str(exc)])
        return 1
    return 0


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    """Replace the database with a backup, then erase again everyone erased after it was taken (the erasure ledger)."""
    from afa.backup import BackupError, restore

    try:
        restored = restore(settings, Path(args.path))
    except BackupError as exc:
        _print_errors([str(exc)])
        return 1
    details = ", ".join(f"{name}: {count}" for name, count in restored.erased.counts.items()) or "nothing left to erase"
    print(f"restored from {args.path}; {len(restored.reapplied)} erasure(s) made after the backup applied again "
          f"({details})")
    return 0


def cmd_review_export(settings: Settings, args: argparse.Namespace) -> int:
    from afa.review import export_review

    engine = _engine(settings)
    with Session(engine, future=True) as session:
        try:
            count = export_review(session, Path(args.path))
        except ValueError as exc:
            _print_errors([str(exc)])
            return 1
    print(f"{count} question(s) written to {args.path}: fill in 'label' (an intent, faq/KEY or ignore), then import")
    return 0


def cmd_review_import(settings: Settings, args: argparse.Namespace) -> int:
    from afa.review import import_review

    engine = _engine(settings)
    try:
        with Session(engine, future=True) as session, session.begin():
            result = import_review(session, Path(args.path), settings.nlu_dir)
    except ValueError as exc:
        _print_errors(list(getattr(exc, "errors", [str(exc)])))
        print("nothing was written", file=sys.stderr)
        return 1
    print(f"review imported: {result}; run `afa train` to use the new examples")
    return 0


def cmd_reach_export(settings: Settings, args: argparse.Namespace) -> int:
    """The dashboard's figures as .xlsx or .csv: exact, or with --public protected for reports outside the programme
    (the console's export, the same columns). Bad input: a message and exit status 2, nothing written."""
    from afa.reach.export import FORMATS, export_rows, write_export
    from afa.reach.labels import english, translator
    from afa.reach.report import build_report, known_entry_points, local_today, read_filters

    path = Path(args.path)
    if path.suffix.lower() not in FORMATS:
        _print_errors([f"{path.name}: the format comes from the extension: use .xlsx or .csv"])
        return 2
    values = {"start": args.start, "end": args.end, "channel": args.channel, "language": args.language,
              "district": args.district, "target_group": args.target_group, "entry_point": args.entry_point}
    engine = _engine(settings)
    with Session(engine, future=True) as session:
        campaigns = known_entry_points(session)
        filters, problems = read_filters(values, today=local_today(), entry_points=campaigns)
        if filters is None:
            _print_errors([problem.render(english) for problem in problems])
            return 2
        report = build_report(session, filters)
    german = translator("de")  # the export is a document for reports: German, as the console writes it
    rows = export_rows(report, public=args.public, t=german, campaigns=campaigns, today=local_today())
    try:
        write_export(path, rows, german)
    except OSError as exc:
        _print_errors([f"{path}: cannot be written ({exc.strerror or exc})"])
        return 1
    kind = "protected (figures under 5 and what would give them away replaced by x)" if args.public else "exact"
    print(f"{len(rows) - 1} rows written to {path} ({kind}; {filters.start} to {filters.end})")
    return 0


def cmd_bot(settings: Settings, args: argparse.Namespace) -> int:
    """The Telegram front end alone (Rasa and the action server run elsewhere, e.g. `afa serve`)."""
    if not settings.telegram_token:
        print("error: set TELEGRAM_BOT_TOKEN (from @BotFather) to run the Telegram front end", file=sys.stderr)
        return 2
    from bot.app import run

    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines carry the token in every URL
    run(settings)
    return 0


def cmd_flyer(settings: Settings, args: argparse.Namespace) -> int:
    """A QR code (.png, .svg) or a printable flyer (.pdf, --size a4|a6) for a deep-link payload. Bad input: a
    message and exit status 2, nothing written."""
    from afa.reach.flyer import FlyerError, material

    path = Path(args.out)
    kinds = {".pdf": args.size, ".png": "png", ".svg": "svg"}
    if path.suffix.lower() not in kinds:
        _print_errors([f"{path.name}: the format comes from the extension: use .pdf, .png or .svg"])
        return 2
    engine = _engine(settings)
    with Session(engine, future=True) as session:
        try:
            made = material(session, settings, args.payload, kinds[path.suffix.lower()])
        except FlyerError as exc:
            _print_errors([str(exc)])
            return 2
    if made.inactive:
        print(f"warning: the entry point {args.payload} is deactivated: its scans count under the plain "
              "district/language payload", file=sys.stderr)
    try:
        path.write_bytes(made.data)
    except OSError as exc:
        _print_errors([f"{path}: cannot be written ({exc.strerror or exc})"])
        return 1
    print(f"{path} written ({len(made.data)} bytes)")
    return 0


def cmd_console(settings: Settings, args: argparse.Namespace) -> int:
    """The staff console alone (`make run` and `make serve` start it beside the bot)."""
    from afa.console.server import announcement, serve
    from afa.serve import PortTaken, check_port_free

    try:
        check_port_free(settings.host, settings.console_port, "CONSOLE_PORT")
    except PortTaken as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    engine = _engine(settings)
    if not args.quiet:
        for line in announcement(settings, engine):
            print(line, flush=True)
    serve(settings, engine)
    return 0


def cmd_staff_add(settings: Settings, args: argparse.Namespace) -> int:
    """A new console account; the person chooses their password through a one-time link (never on a command line)."""
    from afa import audit
    from afa.staff import add_user, by_email, issue_token

    engine = _engine(settings)
    with Session(engine, future=True) as session, session.begin():
        if by_email(session, args.email) is not None:
            print(f"error: an account for {args.email} exists already (afa staff reset {args.email} sends a new link)",
                  file=sys.stderr)
            return 1
        user = add_user(session, args.email, args.role, args.name or "")
        token = issue_token(session, "password", user)
        audit.record(session, "cli", "created", "account", user.email, after={"role": user.role, "name": user.name})
        done = f"account {user.email} ({user.role}) created; the password is chosen here (works once, 48 hours):"
    print(done)
    print(f"{settings.console_base_url}/password/{token}")
    return 0


def _change_account(settings: Settings, email: str, change) -> int:  # type: ignore[no-untyped-def]
    """Run `change(session, user)` on an existing account, in one transaction with its audit entry."""
    from afa.staff import by_email

    with Session(_engine(settings), future=True) as session, session.begin():
        user = by_email(session, email)
        if user is None:
            print(f"error: no account {email}", file=sys.stderr)
            return 1
        print(change(session, user))
    return 0


def cmd_staff_reset(settings: Settings, args: argparse.Namespace) -> int:
    """A new one-time password link; the account's sessions end."""
    from afa import audit
    from afa.staff import end_sessions, issue_token

    def reset(session, user) -> str:  # type: ignore[no-untyped-def]
        token = issue_token(session, "password", user)
        end_sessions(session, user.id)
        audit.record(session, "cli", "changed", "account", user.email, after={"password": "reset link issued"})
        return f"{settings.console_base_url}/password/{token}"

    return _change_account(settings, args.email, reset)


def cmd_staff_list(settings: Settings, args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from afa.staff import StaffUser

    with Session(_engine(settings), future=True) as session:
        for user in session.scalars(select(StaffUser).order_by(StaffUser.email)):
            state = "active" if user.active else "deactivated"
            print(f"{user.email}\t{user.role}\t{state}\t{user.name}")
    return 0


def cmd_staff_deactivate(settings: Settings, args: argparse.Namespace) -> int:
    from afa import audit
    from afa.staff import deactivate

    def off(session, user) -> str:  # type: ignore[no-untyped-def]
        deactivate(session, user)
        audit.record(session, "cli", "changed", "account", user.email, before={"active": True}, after={"active": False})
        return f"{user.email} deactivated; its sessions have ended"

    return _change_account(settings, args.email, off)


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    """Servers in the background (logs in var/log/); in the foreground Telegram with a token, else the terminal chat."""
    from afa.chat import chat
    from afa.serve import MissingToken, PortTaken, Services
    from afa.training import train

    model = train(settings)
    print("starting the action server and Rasa (about 30 s) ...", flush=True)
    try:
        with Services(settings, model, log_dir=settings.root / "var" / "log", console=True) as services:
            for note in services.notes:
                print(note, flush=True)
            if settings.telegram_token:
                print("TELEGRAM_BOT_TOKEN is set: the Telegram front end is running; Ctrl-C stops it.", flush=True)
                return cmd_bot(settings, args)
            return chat(settings.rasa_url)
    except (PortTaken, MissingToken) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="afa", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("setup", help="create the database schema and seed the content if empty").set_defaults(func=cmd_setup)

    content = sub.add_parser("content", help="content staff keep: FAQ answers, offers, teams, coaches, facts")
    content_sub = content.add_subparsers(dest="content_command", required=True)
    imp = content_sub.add_parser("import", help="validate a .xlsx/.csv/.yaml file or folder, then write it")
    imp.add_argument("path")
    imp.add_argument("--dry-run", action="store_true", help="validate and show the changes, write nothing")
    imp.set_defaults(func=cmd_content_import)
    exp = content_sub.add_parser("export", help="write the content to .xlsx, .yaml, a folder of .csv, or KIND.csv")
    exp.add_argument("path")
    exp.set_defaults(func=cmd_content_export)
    check = content_sub.add_parser("check", help="validate a file, or list warnings about the database content")
    check.add_argument("path", nargs="?")
    check.set_defaults(func=cmd_content_check)

    i18n = sub.add_parser("i18n", help="check and compile the gettext catalogues")
    i18n.add_argument("--check-only", action="store_true")
    i18n.add_argument("--extract", action="store_true", help="refresh the templates and catalogues from the code")
    i18n.set_defaults(func=cmd_i18n_compile)

    train = sub.add_parser("train", help="regenerate data from the database, train if needed, load into Rasa")
    train.add_argument("--force", action="store_true", help="train even if nothing changed")
    train.add_argument("--no-generate", action="store_true", help="do not regenerate data from the database")
    train.add_argument("--swap", action=argparse.BooleanOptionalAction, default=True,
                       help="load the model into every registered Rasa server, RASA_SERVERS (default: yes)")
    train.set_defaults(func=cmd_train)

    sub.add_parser("actions", help="run the action server with the NLG endpoint").set_defaults(func=cmd_actions)
    sub.add_parser("serve", help="run Rasa (REST + HTTP API) and the action server").set_defaults(func=cmd_serve)
    chat = sub.add_parser("chat", help="chat in the terminal with a running server")
    chat.add_argument("--url")
    chat.set_defaults(func=cmd_chat)
    sub.add_parser("run", help="serve in the background; Telegram with a token, else a terminal chat").set_defaults(func=cmd_run)
    sub.add_parser("bot", help="run the Telegram front end (needs TELEGRAM_BOT_TOKEN)").set_defaults(func=cmd_bot)

    console = sub.add_parser("console", help="run the staff console on 127.0.0.1:CONSOLE_PORT")
    console.add_argument("--quiet", action="store_true", help="do not print where it is (make run/serve print it)")
    console.set_defaults(func=cmd_console)
    flyer = sub.add_parser("flyer", help="a QR code (.png, .svg) or printable flyer (.pdf) for a deep-link payload")
    flyer.add_argument("payload", help="e.g. marxloh, hochfeld_tr, ro, or an entry point's marxloh_tr_c12")
    flyer.add_argument("--out", required=True, help="the file to write; its extension says what: .pdf, .png, .svg")
    flyer.add_argument("--size", choices=("a4", "a6"), default="a4", help="the flyer's page size (default: a4)")
    flyer.set_defaults(func=cmd_flyer)
    staff = sub.add_parser("staff", help="staff console accounts").add_subparsers(dest="staff_command", required=True)
    add = staff.add_parser("add", help="create an account; prints a one-time link to choose the password")
    add.add_argument("email")
    add.add_argument("--role", choices=("admin", "editor", "viewer"), required=True)
    add.add_argument("--name", default="")
    add.set_defaults(func=cmd_staff_add)
    reset = staff.add_parser("reset", help="a new one-time password link (ends the account's sessions)")
    reset.add_argument("email")
    reset.set_defaults(func=cmd_staff_reset)
    staff.add_parser("list", help="all accounts").set_defaults(func=cmd_staff_list)
    off = staff.add_parser("deactivate", help="deactivate an account (ends its sessions)")
    off.add_argument("email")
    off.set_defaults(func=cmd_staff_deactivate)

    user = sub.add_parser("user", help="requests of one person").add_subparsers(dest="user_command", required=True)
    erase = user.add_parser("delete", help="erase everything held about a person (Telegram chat id)")
    erase.add_argument("id")
    erase.set_defaults(func=cmd_user_delete)
    sub.add_parser("purge", help="remove records older than the retention periods").set_defaults(func=cmd_purge)
    for verb, what, func in (
        ("backup", "a consistent copy of the database (while the bot runs)", cmd_backup),
        ("restore", "replace the database with a backup; later erasures are applied again", cmd_restore),
    ):
        copy = sub.add_parser(verb, help=what)
        copy.add_argument("path")
        copy.set_defaults(func=func)

    review = sub.add_parser("review", help="questions the bot did not understand").add_subparsers(
        dest="review_command", required=True
    )
    export = review.add_parser("export", help="write them to a spreadsheet (.xlsx or .csv) for labelling")
    export.add_argument("path")
    export.set_defaults(func=cmd_review_export)
    load = review.add_parser("import", help="append the labelled examples to nlu_data/<lang>/review.yml")
    load.add_argument("path")
    load.set_defaults(func=cmd_review_import)
    reach = sub.add_parser("reach", help="anonymous reach statistics").add_subparsers(dest="reach_command",
                                                                                       required=True)
    reach_export = reach.add_parser("export", help="the dashboard's figures as .xlsx or .csv (by the extension)")
    reach_export.add_argument("path")
    reach_export.add_argument("--public", action="store_true",
                              help="for reports outside the programme: every figure under 5 suppressed, and what "
                                   "would give it away")
    reach_export.add_argument("--from", dest="start", default="", metavar="DATE",
                              help="first day (YYYY-MM-DD or DD.MM.YYYY; default: the last 12 weeks)")
    reach_export.add_argument("--to", dest="end", default="", metavar="DATE", help="last day (default: today)")
    for name in ("channel", "language", "district", "target-group", "entry-point"):
        reach_export.add_argument(f"--{name}", dest=name.replace("-", "_"), default="",
                                  help=f"only this {name.replace('-', ' ')} (a code, or a deep-link payload)")
    reach_export.set_defaults(func=cmd_reach_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return int(args.func(settings, args) or 0)


if __name__ == "__main__":
    sys.exit(main())
