#!/usr/bin/env bash
# Set up .venv with every extra and the test tools, then run the whole test suite.
# Usage: scripts/test.sh [pytest arguments]
set -euo pipefail
. "$(dirname "$0")/setup.sh" all,test
scripts/system-deps.sh
exec python -m pytest -q "$@"
