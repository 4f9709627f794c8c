"""Custom actions of the Rasa action server (`rasa run actions` / `afa actions`)."""
