# Two commands matter: `make run` and `make test` (see README.md).
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
KB_INDEX ?= .kb/index
PORT ?= 8501
export KB_INDEX

.PHONY: run test test-fast install dev ingest app serve lint eval bench corpus clean wheels \
	install-offline

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first, pinned: it resolves to the local CPU wheel instead of a CUDA build
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.dev: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed
dev: $(VENV)/.dev

# Offline (intranet) install: `make wheels` on a connected machine with the same Python
# (3.11) and platform writes every wheel needed into $(WHEELS); copy the project folder
# with it, then `make install-offline` there installs from it without any index.
WHEELS ?= wheels
wheels:
	$(PYTHON) -m pip download -q -d $(WHEELS) pip "setuptools>=68" wheel
	$(PYTHON) -m pip wheel -q -w $(WHEELS) torch==2.13.0 .

install-offline:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --no-index --find-links $(WHEELS) --upgrade pip
	$(PY) -m pip install -q --no-index --find-links $(WHEELS) torch==2.13.0
	$(PY) -m pip install -q --no-index --find-links $(WHEELS) -e .
	touch $(VENV)/.installed

ingest: install
	$(VENV)/bin/kb ingest corpus --index $(KB_INDEX)

app: install
	$(VENV)/bin/streamlit run app/streamlit_app.py --server.address 127.0.0.1 \
		--server.port $(PORT) --server.headless true --browser.gatherUsageStats false

# The HTTP API (kb serve) on 127.0.0.1:8600; it needs an account first (kb users add).
API_PORT ?= 8600
serve: install
	$(VENV)/bin/kb serve --index $(KB_INDEX) --port $(API_PORT)

# The page comes up at once; corpus/ is ingested in the background (new documents are
# searchable by keyword as soon as their files are read, vectors fill in behind; the
# sidebar shows the progress). Log: $(KB_INDEX)-ingest.log.
run: install
	@mkdir -p $(dir $(KB_INDEX))
	@echo "后台导入 corpus/（日志 $(KB_INDEX)-ingest.log）；网页马上可以打开，进度见左侧栏。"
	@($(VENV)/bin/kb ingest corpus --index $(KB_INDEX) --no-progress \
		> $(KB_INDEX)-ingest.log 2>&1 &)
	@$(MAKE) --no-print-directory app

lint: dev
	$(VENV)/bin/ruff check .

test: dev
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

# Everything but the tests marked slow (the real embedding model, whole-folder file runs,
# the browser): the plumbing runs on the deterministic fake embedder in seconds.
test-fast: dev
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -m "not slow"

eval: install
	$(VENV)/bin/kb eval

bench: install
	$(VENV)/bin/kb bench

corpus: dev
	$(PY) tools/build_corpus.py

clean:
	rm -rf .kb build *.egg-info
