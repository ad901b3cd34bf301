# Sourced by test.sh and demo.sh: create .venv if needed and install lt with the given extras.
# Usage: . scripts/setup.sh EXTRAS
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv" >&2
  "$python" -m venv .venv
fi
stamp=".venv/.lt-installed-$1"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing lt[$1] into .venv" >&2
  .venv/bin/python -m pip install --quiet --upgrade pip >&2
  .venv/bin/python -m pip install --quiet -e ".[$1]" >&2
  touch "$stamp"
fi
export PATH="$root/.venv/bin:$PATH"
export HF_HUB_OFFLINE=1
