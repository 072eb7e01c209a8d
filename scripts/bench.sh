#!/usr/bin/env bash
# make bench: build (once) or reuse the bench-scale PostgreSQL database, then measure
# the pages and the evaluation engine. Never part of make test.
set -euo pipefail
cd "$(dirname "$0")/.."
export ALONGSIDE_DEV=true
server="${BENCH_SERVER_URL:-postgres://postgres@127.0.0.1:5432}"
db="${BENCH_DB:-alongside_bench}"
export DATABASE_URL="$server/$db"
if ! psql "$server/postgres" -tAc "select 1" >/dev/null 2>&1; then
  echo "bench: PostgreSQL does not answer at $server" >&2; exit 1
fi
if [ "$(psql "$server/postgres" -tAc "select 1 from pg_database where datname='$db'")" != "1" ]; then
  psql "$server/postgres" -qc "create database $db"
fi
.venv/bin/alongside migrate --noinput -v 0
.venv/bin/alongside collectstatic --noinput -v 0
have=$(psql "$DATABASE_URL" -tAc "select count(*) from participants_participant" 2>/dev/null || echo 0)
if [ "${have:-0}" -lt 100000 ]; then
  echo "== building the bench-scale database ($db); this takes several minutes"
  start=$(date +%s)
  .venv/bin/alongside demo --scale bench
  echo "build took $(( $(date +%s) - start )) s"
fi
echo "== pages"
.venv/bin/python bench/web_pages.py
echo "== assessments: import and scoring, the program's heatmap"
.venv/bin/python bench/assessments.py
echo "== overdose: EARS spike detection"
.venv/bin/python bench/overdose.py
echo "== load: simulated users against gunicorn on 127.0.0.1"
.venv/bin/python bench/load.py
if [ -f bench/engine_pipeline.py ]; then
  echo "== evaluation engine"
  .venv/bin/python bench/engine_pipeline.py
fi
