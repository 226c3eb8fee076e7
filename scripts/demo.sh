#!/usr/bin/env bash
# The main job: set up, load the bundled real sample, create one user per role and serve the web app.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
exec harmwatch serve --demo "$@"
