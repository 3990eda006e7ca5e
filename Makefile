# Two commands do all the set-up (see README.md):
#   make demo        train micrograd's demo model and write its pictures into out/
#   make test        run the test suite
# and, on demand:
#   make notebooks   re-execute notebooks/*.ipynb in place (their committed outputs)
#   make notebooks-html  the notebooks as HTML pages that read right offline, in out/notebooks/
#   make fuzz        the long fuzzing profile
#   make bench       the performance table
#   make torch       PyTorch: MLP.to_torch/from_torch, and an extra oracle for the tests
#   make jax         JAX (CPU): the benchmark table's jax.jit row
#   make docs        the docs site (Sphinx, -W -n) into site/: open site/index.html
# Each creates $(VENV) with the Python named by PYTHON and installs what it needs into it.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test notebooks notebooks-html fuzz bench torch jax docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the project's metadata changes.
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[viz,plots,progress]'
	touch $@

$(VENV)/.installed-docs: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	touch $@

$(VENV)/.installed-notebooks: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[notebooks]'
	touch $@

demo: $(VENV)/.installed-demo
	$(BIN)/python -m nn --out out

# The lint first (ruff: style and format), the types (mypy --strict over autograd and nn, see
# pyproject.toml), then the tests (tests/test_layering.py holds the house's import rules), on
# every core (pytest-xdist; a test file's tests in one worker, which sets up its fixtures once).
test: $(VENV)/.installed-test
	$(BIN)/python -m ruff check .
	$(BIN)/python -m ruff format --check .
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest -n auto --dist loadfile

# Runs every notebook top to bottom in a fresh kernel and writes the outputs back.
notebooks: $(VENV)/.installed-notebooks
	$(BIN)/python notebooks/run.py

# The committed notebooks as HTML (math as MathML, nothing fetched), for reading offline.
notebooks-html: $(VENV)/.installed-notebooks
	$(BIN)/python notebooks/export.py out/notebooks

# On demand: the long fuzzing profile (about 3,000 random graphs per property): the engine
# against its oracles, and the compiled path (compile, compile_mean) against the engine.
fuzz: $(VENV)/.installed-test
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/test_fuzz.py tests/test_compile_fuzz.py tests/test_compile_mean_fuzz.py \
		--hypothesis-show-statistics

# On demand: the performance table (see docs/performance.md).
bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/run.py

# The docs site (docs/conf.py): the guide (docs/*.md) and the API reference from the
# docstrings, into site/; -W -n: a warning, a broken link or cross-reference included, fails
# the build. Nothing is fetched.
docs: $(VENV)/.installed-docs
	$(BIN)/python -m sphinx -b html -W --keep-going -n -q docs site

# Optional: PyTorch, through the torch extra (pinned to the CPU build; see pyproject.toml).
torch: | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[torch]'

# Optional: JAX (CPU), through the jax extra (pinned; see pyproject.toml).
jax: | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[jax]'

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build site *.egg-info
