# The two commands of the README:
#   make demo   set up (first time) and run the whole job on the bundled demo mailbox
#   make test   set up (first time, including the Dovecot IMAP server) and run every test,
#               once on SQLite and once on PostgreSQL (INBOX_WORKER_TEST_POSTGRES, default
#               postgresql+psycopg://postgres@127.0.0.1:5432/postgres); `make test-sqlite` skips the second
#   make test-fast   the intake pipeline's tests that need no server (a Maildir, SQLite, real reading
#               processes), in well under a minute; the full suite on the real servers stays the proof
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test test-fast test-sqlite test-postgresql lint setup servers

demo: $(VENV)/.installed
	$(VENV)/bin/inbox-worker demo

test: test-sqlite test-postgresql

test-fast: $(VENV)/.installed
	INBOX_WORKER_TEST_DATABASE=sqlite $(PY) -m pytest -m fast -q

test-sqlite: $(VENV)/.installed servers
	INBOX_WORKER_TEST_DATABASE=sqlite $(PY) -m pytest

test-postgresql: $(VENV)/.installed servers
	INBOX_WORKER_TEST_DATABASE=postgresql $(PY) -m pytest

# The lint settings are in pyproject.toml; CI runs this before the tests.
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[test]"
	touch $@

# The integration tests start their own Dovecot on 127.0.0.1 (Debian's package) and look at the
# digest and the report in headless Chromium (Debian's package: no browser download); the
# PostgreSQL pass needs the local PostgreSQL server running (started here if it is installed).
servers:
	@{ command -v dovecot && command -v chromium; } >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    dovecot-imapd chromium fonts-dejavu-core; }
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || { \
	  command -v pg_ctlcluster >/dev/null 2>&1 && \
	  $(SUDO) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; } || \
	  echo "PostgreSQL is not running on 127.0.0.1:5432: the PostgreSQL pass will fail (use make test-sqlite)"
