#!/usr/bin/env bash
# The main job: set up, load the bundled real sample and map Hertfordshire's drug hotspots.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
exec harmwatch demo "$@"
