#!/usr/bin/env bash
# The README's test command: installs what the tests need, then runs lint and the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v soffice >/dev/null 2>&1 || ! command -v pdfinfo >/dev/null 2>&1 || ! fc-list :lang=ko 2>/dev/null | grep -q .; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "== installing LibreOffice Calc (the second engine that checks the dashboard's formulas)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui poppler-utils fonts-noto-cjk >/dev/null
  else
    echo "!! soffice not found: the LibreOffice checks will be skipped (install libreoffice-calc)" >&2
  fi
fi
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "== installing PostgreSQL (the database tests start a real server)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  else
    echo "!! initdb not found: the Postgres tests will be skipped (install postgresql)" >&2
  fi
fi
python3 -m pip install -q --disable-pip-version-check -e ".[test]"
echo "== ruff"
python3 -m ruff check .
python3 -m ruff format --check .
echo "== mypy"
python3 -m mypy
echo "== derived files (README key block, docs/definitions.md, goldens, workbooks/kpi_functions.xlsm)"
python3 scripts/regenerate.py --check
echo "== pytest"
python3 -m pytest "$@"
