#!/usr/bin/env bash
# Set up, then run lint, type checks and the whole test suite.
set -euo pipefail
bash "$(dirname "${BASH_SOURCE[0]}")/system-deps.sh"
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
echo "== ruff" >&2
ruff check src tests benchmarks
ruff format --check src tests benchmarks
echo "== mypy" >&2
mypy
echo "== pytest" >&2
# system-deps.sh installed Java: the Spark equality tests must run, not skip (tests/conftest.py).
export HARMWATCH_TESTS_NEED_JAVA=1
exec python -m pytest "$@"
