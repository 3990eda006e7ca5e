# Two commands do all the set-up (see README.md):
#   make demo   train micrograd's demo model and write its pictures into out/
#   make test   run the test suite
# Both create .venv with the Python named by PYTHON and install what they need into it.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test torch clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the project's metadata changes.
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[viz,plots,progress]'
	touch $@

demo: $(VENV)/.installed-demo
	$(BIN)/python -m nn --out out

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

# Optional: PyTorch as an extra oracle in the tests (CPU build, pinned; see README).
torch: | $(BIN)/python
	$(BIN)/python -m pip install --quiet torch==2.13.0

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
