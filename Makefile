# The two commands of the README:
#   make demo   set up (first time) and run the whole job on the bundled demo mailbox
#   make test   set up (first time, including the Dovecot IMAP server) and run every test
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test setup servers bench

demo: $(VENV)/.installed
	$(VENV)/bin/inbox-worker demo

test: $(VENV)/.installed servers
	$(PY) -m pytest

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[test]"
	touch $@

# The integration tests start their own Dovecot on 127.0.0.1 (Debian's package).
servers:
	@command -v dovecot >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends dovecot-imapd; }
