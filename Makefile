# Every target installs what it needs into .venv first (a fresh machine needs only python3).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STACK  ?= stacks/default.yaml
ARGS   ?=

.PHONY: install provision plan status teardown reconcile test lint fmt bench localcloud clean

$(BIN)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

# cloud-init's own schema validator comes only from Debian's package (PyPI has no usable cloud-init).
$(BIN)/.system-tools: | $(BIN)/.installed
	@if ! command -v cloud-init >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing cloud-init (schema validator) with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends cloud-init >/dev/null; \
	  else \
	    echo "note: cloud-init is not installed and cannot be (not root): its schema tests will be skipped"; \
	  fi; \
	fi
	touch $@

provision: install
	$(BIN)/provisioner provision --stack $(STACK) $(ARGS)

plan: install
	$(BIN)/provisioner plan --stack $(STACK) $(ARGS)

status: install
	$(BIN)/provisioner status --stack $(STACK) $(ARGS)

teardown: install
	$(BIN)/provisioner teardown --stack $(STACK) $(ARGS)

reconcile: install
	$(BIN)/provisioner reconcile --stack $(STACK) $(ARGS)

# The Node.js SDKs of the conformance test (tests/conformance), from the committed lock file. Without node and
# npm nothing is installed and the test skips, saying why.
CONFORMANCE := tests/conformance
$(CONFORMANCE)/node_modules: $(CONFORMANCE)/package.json $(CONFORMANCE)/package-lock.json
	@if command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1; then \
	  (cd $(CONFORMANCE) && npm ci --no-audit --no-fund --loglevel=error && touch node_modules) || \
	    echo "warning: npm ci failed in $(CONFORMANCE): its test will try again and fail, not skip"; \
	else \
	  echo "note: node/npm not found: the Node.js SDK conformance test will be skipped"; \
	fi

test: install $(BIN)/.system-tools $(CONFORMANCE)/node_modules
	$(BIN)/python -m pytest -q $(ARGS)

# The quality gate (configuration and the reasons for it: pyproject.toml, CHOICES.md "Quality gate").
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy provisioner localcloud

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python -m bench $(ARGS)

localcloud: install
	$(BIN)/localcloud serve --data-dir .localcloud $(ARGS)

clean:
	rm -rf $(VENV) .localcloud build *.egg-info $(CONFORMANCE)/node_modules
