#!/usr/bin/env bash
# blueteam scan vs its peers on the same generated auth.log: fail2ban-regex (sshd filter), sshguard's
# parser (sshg-parser) and CrowdSec (its sshd parser and ssh-bf scenario), all from Debian's packages.
#
#   bench/compare.sh [LINES] [RUNS] [SOURCES]      defaults: 200000 lines, 5 runs, 5000 attacker addresses
#
# CS_MEM_MB (default 8192) caps CrowdSec's resident memory: its ssh-bf buckets grow with the addresses and
# lines, and past the cap the run is stopped and reported as "did not finish" instead of swapping the machine.
#
# Generates a realistic auth.log (bench/genlogs.py) and first checks that every tool finds the sshd
# authentication failures the log holds ("Failed <method> for ..." lines, counted with grep): blueteam
# and fail2ban-regex on the whole file, sshguard on those lines alone (its output does not say which
# line an attack came from). A tool whose count differs by more than 1 % from grep's, or from blueteam's,
# gets no ratio: being fast at finding less is no result. Then it times each tool RUNS times, alternating, end to end
# (process start to exit, output to /dev/null), with its peak resident memory (GNU time), and prints
# one table: median lines/s, failures found, everything it flagged, peak RSS, and blueteam's ratio.
# Installs what is missing (fail2ban, sshguard, time, curl) from Debian's packages with apt-get. CrowdSec's package is unpacked, not installed: its
# install script registers with CrowdSec's central service, which fails offline; the unpacked binary
# runs with a config of its own (bundled hub: syslog, sshd and dateparse parsers, the ssh-bf scenario,
# a local API on loopback, no central API), timed as a replay of the file (-dsn file://LOG), and its
# count read from its Prometheus counters while it tails a copy of the file. Set BLUETEAM to a built blueteam binary to skip
# the build (by default it is published as deployed, ReadyToRun, by bench/publish.sh).
set -euo pipefail

LINES=${1:-200000}
RUNS=${2:-5}
SOURCES=${3:-5000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/blueteam-compare.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
SSHG=/usr/libexec/sshguard/sshg-parser
CS_MEM_KB=$((${CS_MEM_MB:-8192} * 1024))

need=()
command -v fail2ban-regex >/dev/null || need+=(fail2ban)
[[ -x $SSHG ]] || need+=(sshguard)
[[ -x /usr/bin/time ]] || need+=(time)
command -v curl >/dev/null || need+=(curl) # CrowdSec's counters are read over HTTP
if ((${#need[@]})); then
    echo "installing ${need[*]} (Debian packages)..." >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

[[ -n "${BLUETEAM:-}" ]] || BLUETEAM=$("$ROOT/bench/publish.sh" "$WORK/bin")

# --- CrowdSec, unpacked into $WORK/cs ---
CS="$WORK/cs"
mkdir -p "$CS"
(cd "$CS" && { apt-get download -qq crowdsec >/dev/null 2>&1 || { apt-get update -qq && apt-get download -qq crowdsec >/dev/null; }; })
dpkg -x "$CS"/crowdsec_*.deb "$CS/root"
HUB="$CS/root/usr/share/crowdsec/hub"
mkdir -p "$CS/cfg/parsers/s00-raw" "$CS/cfg/parsers/s01-parse" "$CS/cfg/parsers/s02-enrich" "$CS/cfg/scenarios" "$CS/data"
cp -r "$CS/root/etc/crowdsec/patterns" "$CS/root/etc/crowdsec/simulation.yaml" "$CS/root/etc/crowdsec/profiles.yaml" "$CS/cfg/"
cp "$HUB/parsers/s00-raw/crowdsecurity/syslog-logs.yaml" "$CS/cfg/parsers/s00-raw/"
cp "$HUB/parsers/s01-parse/crowdsecurity/sshd-logs.yaml" "$CS/cfg/parsers/s01-parse/"
cp "$HUB/parsers/s02-enrich/crowdsecurity/dateparse-enrich.yaml" "$CS/cfg/parsers/s02-enrich/"
cp "$HUB/scenarios/crowdsecurity/ssh-bf.yaml" "$CS/cfg/scenarios/"
CS_PORT=$((20000 + RANDOM % 20000)); CS_METRICS=$((CS_PORT + 1))
cat >"$CS/cfg/config.yaml" <<CSEOF
common: {daemonize: false, log_media: stdout, log_level: warning, working_dir: .}
config_paths: {config_dir: $CS/cfg/, data_dir: $CS/data/, simulation_path: $CS/cfg/simulation.yaml, hub_dir: $HUB/, index_path: $HUB/.index.json}
crowdsec_service: {acquisition_path: $CS/cfg/acquis.yaml, parser_routines: 1}
db_config: {type: sqlite, db_path: $CS/data/crowdsec.db, use_wal: true}
api:
  client: {credentials_path: $CS/cfg/local_api_credentials.yaml}
  server: {listen_uri: "127.0.0.1:$CS_PORT", profiles_path: $CS/cfg/profiles.yaml}
prometheus: {enabled: true, level: full, listen_addr: 127.0.0.1, listen_port: $CS_METRICS}
CSEOF
"$CS/root/usr/bin/cscli" -c "$CS/cfg/config.yaml" machines add bench --auto -f "$CS/cfg/local_api_credentials.yaml" >/dev/null 2>&1
CROWDSEC=("$CS/root/usr/bin/crowdsec" -c "$CS/cfg/config.yaml" -no-capi)
rss_kb() { awk '/^VmRSS:/ { print $2; f = 1 } END { if (!f) print 0 }' "/proc/$1/status" 2>/dev/null || echo 0; }
# Events CrowdSec's ssh-bf scenario took from FILE. Read in tail mode (cat mode ends the agent as soon as
# the file is read, before its counters can be asked): the agent starts on an empty feed, FILE is appended
# to it, and the counters are polled until every line is read and the count holds still.
crowdsec_count() {
    local file=$1 n want last=-1 same=0 hits poured pid feed="$CS/feed.log"
    want=$(wc -l <"$file")
    : >"$feed"
    printf 'filenames: [%s]\nmode: tail\nlabels: {type: syslog}\n' "$feed" >"$CS/cfg/acquis.yaml"
    "${CROWDSEC[@]}" >"$CS/count.log" 2>&1 &
    pid=$!
    for ((n = 0; n < 120; n++)); do curl -sf "127.0.0.1:$CS_METRICS/metrics" >/dev/null && break; sleep 0.5; done
    sleep 1 # the file source opens its file after the metrics server is up
    cat "$file" >>"$feed"
    for ((n = 0; n < 1200 && same < 4; n++)); do
        sleep 0.5
        read -r hits poured < <(curl -s "127.0.0.1:$CS_METRICS/metrics" | awk -v f="$feed" '
            index($0, "cs_filesource_hits_total{source=\"" f "\"") == 1 { h = $2 }
            index($0, "cs_bucket_poured_total{name=\"crowdsecurity/ssh-bf\",source=\"" f "\"") == 1 { p = $2 }
            END { printf "%d %d\n", h, p }')
        if ((hits >= want && poured == last)); then same=$((same + 1)); else same=0; fi
        last=$poured
        if (($(rss_kb "$pid") > CS_MEM_KB)); then last="dnf"; break; fi
    done
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
    echo "$last"
}

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
cs_failed=$(crowdsec_count "$WORK/failed.log")
cs_all=$(crowdsec_count "$LOG")
echo "sshd authentication failures: grep $expected, blueteam $bt_failed, fail2ban-regex $f2b_failed, sshguard $sshg_failed, crowdsec $cs_failed"
within() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(b > 0 && d / b <= 0.01) }'; }
within "$bt_failed" "$expected" || { echo "blueteam finds $bt_failed of $expected failures: no figures for a detector that misses" >&2; exit 1; }

# --- timing ---
# One run: prints "seconds peak_rss_kb".
measure() { /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >/dev/null 2>&1 || true; tail -n1 "$WORK/time"; }
# The same, stopped once its resident memory passes CAP_KB: then prints "dnf peak_rss_kb".
measure_capped() {
    local cap=$1 tp child over=0; shift
    /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >/dev/null 2>&1 &
    tp=$!
    while kill -0 "$tp" 2>/dev/null; do
        child=$(pgrep -P "$tp" | head -n1 || true)
        if [[ -n $child ]] && (($(rss_kb "$child") > cap)); then kill "$child" 2>/dev/null || true; over=1; fi
        sleep 0.2
    done
    wait "$tp" 2>/dev/null || true
    if ((over)); then echo "dnf $(tail -n1 "$WORK/time" | awk '{print $2}')"; else tail -n1 "$WORK/time"; fi
}
declare -A secs rss
for ((i = 0; i < RUNS; i++)); do
    read -r s m < <(measure "$BLUETEAM" scan --year 2026 "$LOG"); secs[bt]+="$s "; rss[bt]+="$m "
    read -r s m < <(measure fail2ban-regex "$LOG" sshd); secs[f2b]+="$s "; rss[f2b]+="$m "
    read -r s m < <(measure sh -c "$SSHG < '$LOG'"); secs[sshg]+="$s "; rss[sshg]+="$m "
    read -r s m < <(measure_capped "$CS_MEM_KB" "${CROWDSEC[@]}" -dsn "file://$LOG" -type syslog); secs[cs]+="$s "; rss[cs]+="$m "
done
median() { printf '%s\n' $1 | grep -v dnf | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg); $lines lines, $SOURCES attacker addresses, median of $RUNS runs"
printf '%-16s %12s %14s %16s %14s %12s  %s\n' tool "seconds" "lines/s" "failures found" "all flagged" "peak RSS" "blueteam is"
bt_s=$(median "${secs[bt]}")
row() {
    local name=$1 key=$2 failed=$3 all=$4 s m ratio
    m=$(median "${rss[$key]}")
    if [[ "${secs[$key]} $failed" == *dnf* ]]; then
        printf '%-16s %12s %14s %16s %14s %9.0f MB  %s\n' "$name" "-" "-" "-" "-" "$(awk -v m="$m" 'BEGIN { print m / 1024 }')" \
            "did not finish: over ${CS_MEM_MB:-8192} MB resident ($(printf '%s\n' ${secs[$key]} | grep -c dnf) of $RUNS timed runs; count: $failed)"
        return
    fi
    s=$(median "${secs[$key]}")
    if [[ $key == bt ]]; then ratio="-"
    elif within "$failed" "$expected" && within "$failed" "$bt_failed"; then ratio=$(awk -v a="$s" -v b="$bt_s" 'BEGIN { if (a >= b) printf "%.1fx faster", a / b; else printf "%.1fx slower", b / a }')
    else ratio="no ratio: finds $failed of $expected"; fi
    printf '%-16s %12.3f %14.0f %16s %14s %9.0f MB  %s\n' "$name" "$s" "$(awk -v l="$lines" -v s="$s" 'BEGIN { print l / s }')" "$failed" "$all" "$(awk -v m="$m" 'BEGIN { print m / 1024 }')" "$ratio"
}
row "blueteam scan" bt "$bt_failed" "$bt_all"
row "fail2ban-regex" f2b "$f2b_failed" "$f2b_all"
row "sshguard parser" sshg "$sshg_failed" "$sshg_all"
row "crowdsec replay" cs "$cs_failed" "$cs_all"
echo "(failures found: the \"Failed <method> for ...\" lines; all flagged: every line the tool counts against a source, by its own rules)"
