#!/usr/bin/env bash
# blueteam scan vs its peers on the same generated auth.log: fail2ban-regex (sshd filter) and
# sshguard's parser (sshg-parser), all from Debian's packages.
#
#   bench/compare.sh [LINES] [RUNS] [SOURCES]      defaults: 200000 lines, 5 runs, 5000 attacker addresses
#
# Generates a realistic auth.log (bench/genlogs.py) and first checks that every tool finds the sshd
# authentication failures the log holds ("Failed <method> for ..." lines, counted with grep): blueteam
# and fail2ban-regex on the whole file, sshguard on those lines alone (its output does not say which
# line an attack came from). A tool whose count differs from grep's by more than 1 % gets no ratio:
# being fast at finding less is no result. Then it times each tool RUNS times, alternating, end to end
# (process start to exit, output to /dev/null), with its peak resident memory (GNU time), and prints
# one table: median lines/s, failures found, everything it flagged, peak RSS, and blueteam's ratio.
# Installs what is missing (fail2ban, sshguard, time). Set BLUETEAM to a built blueteam binary to skip
# the build (by default it is published as deployed, ReadyToRun, by bench/publish.sh).
set -euo pipefail

LINES=${1:-200000}
RUNS=${2:-5}
SOURCES=${3:-5000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/blueteam-compare.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
SSHG=/usr/libexec/sshguard/sshg-parser

need=()
command -v fail2ban-regex >/dev/null || need+=(fail2ban)
[[ -x $SSHG ]] || need+=(sshguard)
[[ -x /usr/bin/time ]] || need+=(time)
if ((${#need[@]})); then
    echo "installing ${need[*]} (Debian packages)..." >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

[[ -n "${BLUETEAM:-}" ]] || BLUETEAM=$("$ROOT/bench/publish.sh" "$WORK/bin")

LOG="$WORK/auth.log"
python3 "$ROOT/bench/genlogs.py" auth "$LINES" --sources "$SOURCES" >"$LOG" 2>/dev/null
lines=$(wc -l <"$LOG")

# --- the same failures? ---
grep 'sshd\[[0-9]*\]: Failed ' "$LOG" >"$WORK/failed.log" || true
expected=$(wc -l <"$WORK/failed.log")
# shellcheck disable=SC2016
f2b_failed=$(fail2ban-regex "$LOG" sshd 2>/dev/null | awk '/^\|[ ]+[0-9]+\) \[[0-9]+\] \^Failed /{gsub(/[\[\]]/,"",$3); print $3; exit}')
f2b_all=$(fail2ban-regex "$LOG" sshd 2>/dev/null | awk '/^Lines: /{print $4; exit}')
bt_events="$WORK/events.jsonl"
"$BLUETEAM" scan --year 2026 --emit events --format jsonl "$LOG" >"$bt_events" 2>/dev/null
bt_failed=$(grep -c '"action":"ssh_login","outcome":"failure","reason":"Failed ' "$bt_events" || true)
bt_all=$(grep -c '"outcome":"failure"' "$bt_events" || true)
sshg_failed=$("$SSHG" <"$WORK/failed.log" | wc -l)
sshg_all=$("$SSHG" <"$LOG" | wc -l)
echo "sshd authentication failures: grep $expected, blueteam $bt_failed, fail2ban-regex $f2b_failed, sshguard $sshg_failed"
within() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(b > 0 && d / b <= 0.01) }'; }
within "$bt_failed" "$expected" || { echo "blueteam finds $bt_failed of $expected failures: no figures for a detector that misses" >&2; exit 1; }

# --- timing ---
# One run: prints "seconds peak_rss_kb".
measure() { /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >/dev/null 2>&1 || true; cat "$WORK/time"; }
declare -A secs rss
for ((i = 0; i < RUNS; i++)); do
    read -r s m < <(measure "$BLUETEAM" scan --year 2026 "$LOG"); secs[bt]+="$s "; rss[bt]+="$m "
    read -r s m < <(measure fail2ban-regex "$LOG" sshd); secs[f2b]+="$s "; rss[f2b]+="$m "
    read -r s m < <(measure sh -c "$SSHG < '$LOG'"); secs[sshg]+="$s "; rss[sshg]+="$m "
done
median() { printf '%s\n' $1 | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg); $lines lines, $SOURCES attacker addresses, median of $RUNS runs"
printf '%-16s %12s %14s %16s %14s %12s  %s\n' tool "seconds" "lines/s" "failures found" "all flagged" "peak RSS" "blueteam is"
bt_s=$(median "${secs[bt]}")
row() {
    local name=$1 key=$2 failed=$3 all=$4 s m ratio
    s=$(median "${secs[$key]}"); m=$(median "${rss[$key]}")
    if [[ $key == bt ]]; then ratio="-"
    elif within "$failed" "$expected"; then ratio=$(awk -v a="$s" -v b="$bt_s" 'BEGIN { if (a >= b) printf "%.1fx faster", a / b; else printf "%.1fx slower", b / a }')
    else ratio="no ratio: finds $failed of $expected"; fi
    printf '%-16s %12.3f %14.0f %16s %14s %9.0f MB  %s\n' "$name" "$s" "$(awk -v l="$lines" -v s="$s" 'BEGIN { print l / s }')" "$failed" "$all" "$(awk -v m="$m" 'BEGIN { print m / 1024 }')" "$ratio"
}
row "blueteam scan" bt "$bt_failed" "$bt_all"
row "fail2ban-regex" f2b "$f2b_failed" "$f2b_all"
row "sshguard parser" sshg "$sshg_failed" "$sshg_all"
echo "(failures found: the \"Failed <method> for ...\" lines; all flagged: every line the tool counts against a source, by its own rules)"
