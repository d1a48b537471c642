#!/usr/bin/env bash
# Set up and serve the dashboard on http://127.0.0.1:8050 (HOST and PORT honoured).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m dashapp
