#!/usr/bin/env bash
# How `blueteam scan` cost grows with input size and with the number of distinct attacker addresses.
#
#   bench/scale.sh [BASE_LINES] [RUNS]      defaults: 200000 lines, 3 runs
#
# Sizes 1x, 4x, 16x of BASE_LINES (5,000 sources), then BASE_LINES x4 with 100, 10,000 and
# 100,000 sources. Prints the median wall time, lines/s and peak RSS of each. Set BLUETEAM to skip the build
# (by default it is published as deployed, ReadyToRun, by bench/publish.sh).
set -euo pipefail

BASE=${1:-200000}
RUNS=${2:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/blueteam-scale.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
[[ -n "${BLUETEAM:-}" ]] || BLUETEAM=$("$ROOT/bench/publish.sh" "$WORK/bin")

run() { # LINES SOURCES
    local log="$WORK/auth-$1-$2.log" times=() rss=0
    python3 "$ROOT/bench/genlogs.py" auth "$1" --sources "$2" >"$log" 2>/dev/null
    for ((i = 0; i < RUNS; i++)); do
        /usr/bin/time -f '%e %M' -o "$WORK/time" "$BLUETEAM" scan --year 2026 "$log" >/dev/null 2>&1
        read -r t m <"$WORK/time"
        times+=("$t"); ((m > rss)) && rss=$m
    done
    local med
    med=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    printf '%10d lines %8d sources   %7.2f s   %10.0f lines/s   %6d MB peak RSS\n' "$1" "$2" "$med" "$(awk "BEGIN{print $1 / $med}")" $((rss / 1024))
    rm -f "$log"
}

for k in 1 4 16; do run $((BASE * k)) 5000; done
for s in 100 10000 100000; do run $((BASE * 4)) "$s"; done
