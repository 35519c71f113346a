#!/usr/bin/env bash
# Regenerate constraints.txt: the versions of every dependency (runtime and dev) installed
# and tested together. Run it after changing dependencies in pyproject.toml, then run the
# tests with the new file (`pip install -e '.[dev]' -c constraints.txt && pytest`).
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --upgrade pip
"$work/venv/bin/python" -m pip install --quiet '.[dev]'
{
  echo "# Versions installed and tested together; regenerate with: bash .ci/update-constraints.sh"
  "$work/venv/bin/python" -m pip freeze --exclude-editable | grep -v '^argusai[= @]'
} >constraints.txt
echo "wrote constraints.txt ($(grep -vc '^#' constraints.txt) packages)"
