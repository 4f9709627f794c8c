# Set-up and entry points. `make run` and `make test` are the two commands a newcomer needs (see README).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PO_FILES := $(wildcard locales/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: run serve test install install-test locales db model bench bench-nlu bench-latency bench-langid bench-offers bench-telegram bench-privacy bench-console bench-reach bench-coaches extract clean

# --- set-up -------------------------------------------------------------------------------------------
$(BIN)/python:
	@py=$$(scripts/find-python310.sh) && echo "creating $(VENV) with $$py" && "$$py" -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade "pip==24.3.1"
	$(BIN)/pip install --quiet -e .
	$(BIN)/pip check
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test]"
	$(BIN)/pip check
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Compiling refuses untranslated, fuzzy or placeholder-mismatched messages in any of the four languages.
locales/%.mo: locales/%.po locales/messages.pot locales/console.pot | $(VENV)/.installed
	$(BIN)/afa i18n

locales: $(MO_FILES)

db: install locales
	$(BIN)/afa setup

model: db
	$(BIN)/afa train --no-swap

# Maintainers: refresh the template after changing interface strings, then update the catalogues.
extract: install
	$(BIN)/afa i18n --extract

# --- entry points -------------------------------------------------------------------------------------
run: db model
	$(BIN)/afa run

serve: db model
	$(BIN)/afa serve

test: install-test locales
	scripts/ensure-chromium.sh
	$(BIN)/python -m pytest

bench: bench-nlu bench-latency bench-offers bench-telegram

bench-nlu: db
	$(BIN)/pip install --quiet -e ".[bench]"
	$(BIN)/python bench/nlu.py

bench-latency: db model
	$(BIN)/python bench/latency.py

bench-langid: install
	$(BIN)/pip install --quiet -e ".[bench]"
	$(BIN)/python bench/langid.py

clean:
	rm -rf models var .rasa .pytest_cache $(MO_FILES)

bench-offers: db model
	$(BIN)/python bench/offers.py

bench-telegram: db model
	$(BIN)/python bench/telegram.py

bench-privacy: db
	$(BIN)/python bench/privacy.py

bench-console: db
	$(BIN)/python bench/console.py

# Reach (issue 11): recording cost per turn, the dashboard over a year of counters, a flyer PDF.
bench-reach: db
	$(BIN)/python bench/reach_recording.py
	$(BIN)/python bench/reach_dashboard.py
	$(BIN)/python bench/flyer.py

# The coaches' side (issue 15): /open with 500 open handovers in one team.
bench-coaches: db
	$(BIN)/python bench/coaches.py
