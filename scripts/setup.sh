#!/usr/bin/env bash
# Create .venv and install harmwatch with the locked dependency versions.
# Sourced by scripts/demo.sh and scripts/test.sh; safe to run again (it only
# reinstalls when requirements.lock or pyproject.toml changed).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

python_bin=""
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
    python_bin="$candidate"
    break
  fi
done
if [ -z "$python_bin" ]; then
  echo "harmwatch needs Python 3.11 or newer; none was found on PATH" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv with $python_bin …" >&2
  "$python_bin" -m venv .venv
fi

# PyICU (needed by followthemoney, the FollowTheMoney export) has no wheels: pip builds
# it against the system ICU, so the build packages come first (apt, when missing).
if ! .venv/bin/python -c "import icu" 2>/dev/null; then
  bash "$root/scripts/system-deps.sh" --build-only
fi

stamp=.venv/.harmwatch-installed
want="$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "Installing locked dependencies (first run takes a minute or two) …" >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
  echo "$want" > "$stamp"
fi
export PATH="$root/.venv/bin:$PATH"
