#!/usr/bin/env bash
# The date-sensitive tests (marker `calendar`) at every calendar-splitting instant and
# organisation time zone (--calendar-matrix, see alongside/testing.py), run under a
# faked *system* clock at 00:30 and 23:30 UTC tonight: the hours at which the suite used
# to fail. No test reads the wall clock, so the faked clock must change nothing.
# Outside CI a missing faketime (Debian package `faketime`) runs the matrix on the real
# clock with a line saying so; with CI=true it is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
pytest=(.venv/bin/pytest -n 2 -p no:cacheprovider -q -m calendar)
day=$(date -u +%F)
if ! command -v faketime >/dev/null 2>&1; then
  if [ "${CI:-}" = "true" ]; then
    echo "FAIL: faketime is required in CI (apt-get install faketime)" >&2
    exit 1
  fi
  echo "SKIPPED: faked system clock — faketime is not installed" \
       "(apt-get install faketime); running the calendar matrix on the real clock."
  "${pytest[@]}" --calendar-matrix
  exit 0
fi
for at in "00:30:00" "23:30:00"; do
  echo "== calendar matrix, system clock faked to ${day} ${at} UTC:" \
       "$(TZ=UTC faketime "${day} ${at}" date -u '+%F %T %Z')"
  TZ=UTC faketime "${day} ${at}" "${pytest[@]}" --calendar-matrix
done
