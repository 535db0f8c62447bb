# mnist-course: `make setup` once, then `make test`. `make help` lists every target.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
KERNEL_NAME := mnist-course
# nbgrader (for `mnist-course export nbgrader` and its test) goes into .nbgrader/, outside .venv:
# in .venv its JupyterLab extension would add nbgrader's menus to every student's `make lab`.
NBGRADER ?= nbgrader>=0.9.6,<0.10
# Per-cell time limit (seconds) for the notebook tests; a runaway cell fails instead of hanging.
CELL_TIMEOUT ?= 300
# Test processes run side by side (pytest-xdist; a test file stays in one process, so a
# notebook's cells run in order in one kernel). Each trains with TensorFlow: keep it near the
# number of cores.
TEST_JOBS ?= 2

.DEFAULT_GOAL := help
.PHONY: help setup test lab solutions student data grade benchmark nbgrader clean

help: ## Show this list of targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: ## Create .venv, install the course and its test tools, register the Jupyter kernel, strip outputs on commit
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --user --name $(KERNEL_NAME) --display-name "Python (mnist-course)"
	@if git rev-parse --git-dir >/dev/null 2>&1; then $(BIN)/nbstripout --install --attributes .gitattributes; fi
	$(MAKE) --no-print-directory nbgrader
	@# The grader runs each submission in a bubblewrap sandbox; install it where apt exists.
	@if ! $(BIN)/python -m mnist_course sandbox >/dev/null && command -v apt-get >/dev/null 2>&1; then \
		as_root=$$([ "$$(id -u)" = 0 ] || echo "sudo -n"); \
		($$as_root apt-get install -y -qq bubblewrap || ($$as_root apt-get update -qq && $$as_root apt-get install -y -qq bubblewrap)) >/dev/null 2>&1 \
			|| echo "warning: could not install bubblewrap (sudo apt-get install bubblewrap); grading falls back to no sandbox"; \
	fi
	@$(BIN)/python -m mnist_course sandbox || true
	@echo "Setup done. Next: make test (or make lab to start the course)."

test: ## Run every test, and every solution notebook in fast mode (nbval)
	MNIST_COURSE_FAST=1 $(BIN)/python -m pytest --nbval-cell-timeout=$(CELL_TIMEOUT) -n $(TEST_JOBS) --dist loadfile --durations=15

lab: ## Start JupyterLab on the student notebooks
	$(BIN)/jupyter lab notebooks/

solutions: ## Execute every solution notebook in full mode into build/ (sources untouched)
	@mkdir -p build/solutions
	MNIST_COURSE_FAST=0 $(BIN)/jupyter nbconvert --to notebook --execute \
		--ExecutePreprocessor.timeout=3600 --output-dir build/solutions solutions/*.ipynb

student: ## Regenerate the student notebooks in notebooks/ from solutions/
	$(BIN)/python -m mnist_course.tools.student solutions notebooks

data: ## Find (or download) MNIST and Fashion-MNIST and say where they came from
	$(BIN)/python -m mnist_course.data

grade: ## Grade with the course's checks: make grade NOTEBOOK=notebooks/01_meet_the_data.ipynb, or SUBMISSIONS=dir (writes grades.csv)
	@if [ -n "$(SUBMISSIONS)" ]; then \
		$(BIN)/python -m mnist_course grade "$(SUBMISSIONS)" --csv "$(or $(CSV),grades.csv)" $(GRADE_OPTIONS); \
	elif [ -n "$(NOTEBOOK)" ]; then \
		$(BIN)/python -m mnist_course grade "$(NOTEBOOK)" $(GRADE_OPTIONS); \
	else \
		echo "Say what to grade: make grade NOTEBOOK=notebooks/01_meet_the_data.ipynb, or make grade SUBMISSIONS=submissions/ [CSV=grades.csv]." >&2; \
		echo "More options (GRADE_OPTIONS=\"...\"): $(BIN)/python -m mnist_course grade --help" >&2; exit 2; \
	fi

benchmark: ## Time the course: train every model, run every solution notebook in full mode (build/benchmark.*; ARGS="--only 02 --graded ...")
	$(BIN)/python -m mnist_course.tools.benchmark $(ARGS)

nbgrader: ## Install nbgrader into .nbgrader/ (not .venv): the nbgrader export's test runs it
	$(BIN)/python -m pip install --quiet --prefix .nbgrader '$(NBGRADER)'

clean: ## Remove build output and caches (keeps .venv and your notebooks)
	rm -rf build .pytest_cache *.egg-info
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
