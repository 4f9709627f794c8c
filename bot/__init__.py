"""Telegram front end (python-telegram-bot); not part of this version yet: `make run` chats in the terminal."""
