#!/usr/bin/env bash
# blueteam scan vs fail2ban-regex (sshd filter) on the same generated auth.log.
#
#   bench/compare.sh [LINES] [RUNS] [SOURCES]      defaults: 200000 lines, 5 runs, 5000 attacker addresses
#
# Generates a realistic auth.log (bench/genlogs.py), checks that blueteam and fail2ban-regex count
# the same sshd authentication failures ("Failed <method> for ..." lines, also counted with grep),
# then times each tool RUNS times, alternating, end to end (process start to exit, output to
# /dev/null), and prints the median lines/s of each and their ratio. Installs Debian's fail2ban
# when fail2ban-regex is missing. Set BLUETEAM to a built blueteam binary to skip the build (by
# default it is published as deployed, ReadyToRun, by bench/publish.sh).
set -euo pipefail

LINES=${1:-200000}
RUNS=${2:-5}
SOURCES=${3:-5000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/blueteam-compare.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

if ! command -v fail2ban-regex >/dev/null; then
    echo "installing fail2ban (for fail2ban-regex)..." >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fail2ban >/dev/null
fi

[[ -n "${BLUETEAM:-}" ]] || BLUETEAM=$("$ROOT/bench/publish.sh" "$WORK/bin")

LOG="$WORK/auth.log"
python3 "$ROOT/bench/genlogs.py" auth "$LINES" --sources "$SOURCES" >"$LOG" 2>/dev/null
lines=$(wc -l <"$LOG")

# --- the same failures? ---
expected=$(grep -c 'sshd\[[0-9]*\]: Failed ' "$LOG" || true)
# shellcheck disable=SC2016
f2b_failed=$(fail2ban-regex "$LOG" sshd 2>/dev/null | awk '/^\|[ ]+[0-9]+\) \[[0-9]+\] \^Failed /{gsub(/[\[\]]/,"",$3); print $3; exit}')
bt_failed=$("$BLUETEAM" scan --year 2026 --emit events --format jsonl "$LOG" 2>/dev/null \
    | grep -c '"action":"ssh_login","outcome":"failure","reason":"Failed ' || true)
echo "sshd authentication failures: grep $expected, fail2ban-regex $f2b_failed, blueteam $bt_failed"
if [[ "$expected" != "$f2b_failed" || "$expected" != "$bt_failed" ]]; then
    echo "counts differ" >&2
    exit 1
fi

# --- timing ---
now() { date +%s.%N; }
bt_times=() f2b_times=()
for ((i = 0; i < RUNS; i++)); do
    t0=$(now); "$BLUETEAM" scan --year 2026 "$LOG" >/dev/null 2>&1; t1=$(now)
    bt_times+=("$(awk "BEGIN{print $t1 - $t0}")")
    t0=$(now); fail2ban-regex "$LOG" sshd >/dev/null 2>&1; t1=$(now)
    f2b_times+=("$(awk "BEGIN{print $t1 - $t0}")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
bt=$(median "${bt_times[@]}")
f2b=$(median "${f2b_times[@]}")
echo "blueteam scan runs (s):   ${bt_times[*]}"
echo "fail2ban-regex runs (s):  ${f2b_times[*]}"
printf 'lines: %d   blueteam: %.3f s = %.0f lines/s   fail2ban-regex: %.3f s = %.0f lines/s   ratio: %.1fx\n' \
    "$lines" "$bt" "$(awk "BEGIN{print $lines / $bt}")" "$f2b" "$(awk "BEGIN{print $lines / $f2b}")" "$(awk "BEGIN{print $f2b / $bt}")"
