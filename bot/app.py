"""The Telegram front end: one python-telegram-bot `Application`, wired here, polling or webhook."""
from __future__ import annotations

import asyncio
import logging
from typing import Optional
from urllib.parse import urlparse

from sqlalchemy.engine import Engine
from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from afa import DEFAULT_LANGUAGE, LANGUAGES
from afa.db import make_engine
from afa.handover import team_of_group
from afa.i18n import gettext
from afa.settings import Settings
from bot import coaching, conversation, handover, linking, privacy, texts
from bot.ordering import PerChatOrder
from bot.rasa import RasaClient
from bot.ratelimit import PatientRateLimiter
from bot.state import KEY, FrontEnd, front_end

logger = logging.getLogger(__name__)
JOBS = "afa_jobs"
PRIVATE = filters.ChatType.PRIVATE
GROUPS = filters.ChatType.GROUPS
NEW = filters.UpdateType.MESSAGE
EDITED = filters.UpdateType.EDITED_MESSAGE


def _is_team_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    with front_end(context).session() as session:
        return team_of_group(session, update.effective_chat.id) is not None


async def on_group_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Team groups carry the coaches' side of handovers; in other groups the bot points to a private chat."""
    if _is_team_group(update, context):
        await handover.on_coach_message(update, context)
    elif update.effective_message.text and update.effective_message.text.startswith("/"):
        await conversation.in_other_group(update, context)


def group_command(callback):  # type: ignore[no-untyped-def]
    """/end, /say, /open, /transfer, /away and /back belong to team groups; elsewhere the bot points to a private chat."""

    async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await (callback if _is_team_group(update, context) else conversation.in_other_group)(update, context)

    handler.__doc__ = callback.__doc__
    return handler


def add_handlers(application: Application) -> None:
    """All wiring in one place; order matters: edits first, then commands, then messages."""
    application.add_handler(MessageHandler(PRIVATE & EDITED, conversation.on_edited))
    application.add_handler(CommandHandler("start", linking.on_join, PRIVATE & NEW & linking.JOIN_START))  # never Rasa
    application.add_handler(CommandHandler("start", conversation.start, PRIVATE & NEW))
    application.add_handler(CommandHandler(["join", "link"], linking.on_join, PRIVATE & NEW))
    application.add_handler(CommandHandler("help", conversation.command_to_rasa("/help"), PRIVATE & NEW))
    application.add_handler(CommandHandler(privacy.COMMANDS, conversation.privacy_command, PRIVATE & NEW))
    application.add_handler(CommandHandler("language", conversation.command_to_rasa("/change_language"), PRIVATE & NEW))
    application.add_handler(CommandHandler("coach", conversation.command_to_rasa("/request_coach"), PRIVATE & NEW))
    application.add_handler(CommandHandler(["cancel", "end"], handover.cancel_by_user, PRIVATE & NEW))
    application.add_handler(CommandHandler("end", group_command(handover.on_end), GROUPS & NEW))
    application.add_handler(CommandHandler("say", group_command(handover.on_say), GROUPS & NEW))
    # The coaches' side (bot/coaching.py): what is open, passing a handover on, absence.
    application.add_handler(CommandHandler("open", group_command(coaching.on_open), GROUPS & NEW))
    application.add_handler(CommandHandler("transfer", group_command(coaching.on_transfer), GROUPS & NEW))
    application.add_handler(CommandHandler("away", group_command(coaching.on_away), GROUPS & NEW))
    application.add_handler(CommandHandler("back", group_command(coaching.on_back), GROUPS & NEW))
    # Linking works in any group, team group or not yet; a plain /start in a group stays what it was.
    application.add_handler(CommandHandler("start", linking.on_group_link, GROUPS & NEW, has_args=True))
    application.add_handler(CommandHandler("link", linking.on_group_link, GROUPS & NEW))
    application.add_handler(CommandHandler("join", linking.join_in_group, GROUPS & NEW))
    application.add_handler(MessageHandler(GROUPS & filters.StatusUpdate.MIGRATE, linking.on_migrate))
    application.add_handler(ChatMemberHandler(linking.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(CallbackQueryHandler(handover.on_accept, pattern=r"^acc:"))
    application.add_handler(CallbackQueryHandler(coaching.on_open_page, pattern=r"^open:"))
    application.add_handler(CallbackQueryHandler(coaching.on_transfer_choice, pattern=r"^trf:"))
    application.add_handler(CallbackQueryHandler(conversation.on_button))
    unknown_command = conversation.command_to_rasa("/help")  # a mistyped command gets the help, not a fallback
    application.add_handler(MessageHandler(PRIVATE & NEW & filters.COMMAND, unknown_command))
    application.add_handler(MessageHandler(PRIVATE & NEW & filters.TEXT, conversation.on_text))
    application.add_handler(MessageHandler(PRIVATE & NEW, conversation.on_media))
    application.add_handler(MessageHandler(GROUPS & (NEW | EDITED), on_group_message))
    application.add_error_handler(on_error)


async def on_error(update: Optional[object], context: ContextTypes.DEFAULT_TYPE) -> None:
    """Logs first (never the message text: only the update's id and the error)."""
    update_id = update.update_id if isinstance(update, Update) else None
    logger.error("update %s failed", update_id, exc_info=context.error)


async def set_profile(application: Application) -> None:
    """Command menu, description and short description in each language (German also as the default)."""
    bot = application.bot
    for language in (None, *LANGUAGES):
        shown = language or DEFAULT_LANGUAGE
        commands = [BotCommand(name, gettext(shown, text)) for name, text in texts.COMMANDS.items()]
        await bot.set_my_commands(commands, language_code=language)
        await bot.set_my_description(gettext(shown, texts.DESCRIPTION), language_code=language)
        await bot.set_my_short_description(gettext(shown, texts.SHORT_DESCRIPTION), language_code=language)


async def post_init(application: Application) -> None:
    """Start-up: the profile per language, and the background jobs (cards, deliveries, reminders)."""
    fe = front_end_of(application)
    fe.username = application.bot.username
    # Nothing is released here: another front end may be posting a card right now; a claim of one that stopped
    # lapses after AFA_CLAIM_LEASE_SECONDS and is then taken over by the background pass.
    try:
        await set_profile(application)
    except TelegramError:  # Telegram briefly away must not keep the bot from serving
        logger.warning("could not set the command menu and descriptions", exc_info=True)
    application.bot_data[JOBS] = asyncio.get_running_loop().create_task(handover.jobs_forever(fe, application.bot))


async def post_shutdown(application: Application) -> None:
    """Shut-down: stop the jobs, close the HTTP client and the database pool."""
    jobs = application.bot_data.pop(JOBS, None)
    if jobs is not None:
        jobs.cancel()
    fe = front_end_of(application)
    await fe.rasa.aclose()
    fe.engine.dispose()


def front_end_of(application: Application) -> FrontEnd:
    return application.bot_data[KEY]


def build_application(settings: Settings, engine: Optional[Engine] = None) -> Application:
    """The Application with the project's rate limiter, per-chat ordering and handlers."""
    limiter = PatientRateLimiter(overall_max_rate=settings.telegram_max_rate, group_max_rate=settings.telegram_group_rate)
    application = (
        ApplicationBuilder()
        .token(settings.telegram_token)
        .base_url(settings.telegram_api_url)
        .base_file_url(settings.telegram_file_url)
        .rate_limiter(limiter)
        .concurrent_updates(PerChatOrder(256))
        .connection_pool_size(64)
        .pool_timeout(30)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    application.bot_data[KEY] = FrontEnd(settings, engine or make_engine(settings.database_url), RasaClient(settings.rasa_url))
    add_handlers(application)
    return application


def run(settings: Settings) -> None:
    """Polling by default; webhook mode (Telegram's secret token checked on every request) with AFA_WEBHOOK_URL.
    Webhook mode refuses to start without AFA_WEBHOOK_SECRET (exit status 1)."""
    if settings.webhook_url and not settings.webhook_secret:
        # A secret made per start differs between front ends behind one load balancer: the others would answer 403.
        raise SystemExit("error: webhook mode (AFA_WEBHOOK_URL) needs AFA_WEBHOOK_SECRET, the same value on every "
                         "front end; it is not started")
    application = build_application(settings)
    if settings.webhook_url:
        secret = settings.webhook_secret
        logger.info("webhook mode on %s:%d", settings.webhook_listen, settings.webhook_port)
        application.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=urlparse(settings.webhook_url).path.lstrip("/"),
            webhook_url=settings.webhook_url,
            secret_token=secret,
            allowed_updates=Update.ALL_TYPES,
            bootstrap_retries=-1,
        )
    else:
        logger.info("polling mode")
        application.run_polling(allowed_updates=Update.ALL_TYPES, bootstrap_retries=-1, timeout=10)
