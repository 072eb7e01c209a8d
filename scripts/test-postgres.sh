#!/usr/bin/env bash
# Run the Django test suite on PostgreSQL. Outside CI it skips, with a line saying how to
# enable it, when PostgreSQL does not answer; with CI=true that is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/alongside}"
if ! .venv/bin/python - "$url" <<'PY'
import sys, psycopg
from urllib.parse import urlsplit
u = urlsplit(sys.argv[1])
try:
    psycopg.connect(host=u.hostname, port=u.port or 5432, user=u.username or "postgres",
                    password=u.password, dbname="postgres", connect_timeout=3).close()
except Exception as exc:
    print(exc, file=sys.stderr)
    sys.exit(1)
PY
then
  if [ "${CI:-}" = "true" ]; then
    echo "FAIL: PostgreSQL is required in CI but does not answer at $url" >&2
    exit 1
  fi
  echo "SKIPPED: PostgreSQL suite — PostgreSQL does not answer at $url." \
       "Start it (pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start)" \
       "or set TEST_DATABASE_URL, then run 'make test-postgres'."
  exit 0
fi
echo "== PostgreSQL suite ($url)"
# The statistics engine touches no database; it already ran in the SQLite pass.
DATABASE_URL="$url" .venv/bin/pytest -n 2 --dist loadgroup \
  --ignore=alongside/evaluation/engine -p no:cacheprovider
echo "== PostgreSQL: the date-sensitive tests at every calendar-splitting instant"
DATABASE_URL="$url" .venv/bin/pytest -n 2 -q -m calendar --calendar-matrix \
  -p no:cacheprovider
