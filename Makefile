# Every target installs what it needs into .venv first (a fresh machine needs only python3).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STACK  ?= stacks/default.yaml
ARGS   ?=

.PHONY: install provision plan status teardown reconcile test bench localcloud clean

$(BIN)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

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

test: install
	$(BIN)/python -m pytest -q $(ARGS)

bench: install
	$(BIN)/python -m bench $(ARGS)

localcloud: install
	$(BIN)/localcloud serve --data-dir .localcloud $(ARGS)

clean:
	rm -rf $(VENV) .localcloud build *.egg-info
