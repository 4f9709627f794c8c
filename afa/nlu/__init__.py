"""Custom Rasa 3.6 graph components used in `config.yml` (loaded by the Rasa server, not by the bot)."""
