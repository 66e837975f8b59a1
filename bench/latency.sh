#!/usr/bin/env bash
# Daemon latency (a line appended to a watched file -> its alert in the store) and idle CPU.
#
#   bench/latency.sh [--samples N] [--runs R] [--idle SEC] [--pg CONNECTION_STRING] [--glob] [--keep] ...
#
# Defaults: 200 samples appended 50-200 ms apart, 1 run, 60 s idle, SQLite store in a temp dir.
# Prints p50/p95/p99/max latency in ms and idle CPU as % of one core per run; exits 1 when a
# target is missed (p99 < 1 s, idle < 0.5 %). Needs python3 (standard library only) and, for
# --pg, psql. Set BLUETEAM to a built blueteam to skip the build (by default it is published as
# deployed, ReadyToRun, by bench/publish.sh). See bench/latency.py --help.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z "${BLUETEAM:-}" ]]; then
    # The daemon as deployed (ReadyToRun), like the other benchmark scripts.
    BIN=$(mktemp -d "${TMPDIR:-/tmp}/blueteam-latency-bin.XXXXXX")
    trap 'rm -rf "$BIN"' EXIT
    BLUETEAM=$("$ROOT/bench/publish.sh" "$BIN")
fi
python3 "$ROOT/bench/latency.py" --binary "$BLUETEAM" "$@"
