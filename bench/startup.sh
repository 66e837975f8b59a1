#!/usr/bin/env bash
# Start-up of the published blueteam: time to the first line of `--version`, and to the end of a `scan` of a
# 10-line auth.log, each run RUNS times; prints the median and the fastest, in milliseconds.
#
#   bench/startup.sh [RUNS]      default 20
#
# Set BLUETEAM to a built binary to skip the build (by default it is published as deployed by bench/publish.sh).
set -euo pipefail

RUNS=${1:-20}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/blueteam-startup.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
[[ -n "${BLUETEAM:-}" ]] || BLUETEAM=$("$ROOT/bench/publish.sh" "$WORK/bin")
python3 "$ROOT/bench/genlogs.py" auth 10 >"$WORK/auth10.log" 2>/dev/null

python3 - "$BLUETEAM" "$WORK/auth10.log" "$RUNS" <<'EOF'
import statistics, subprocess, sys, time

binary, log, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])

def first_line_ms(args):
    """Milliseconds from start to the first line on stdout, and to exit."""
    start = time.perf_counter()
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    p.stdout.readline()
    first = time.perf_counter()
    p.stdout.read()
    p.wait()
    return (first - start) * 1000, (time.perf_counter() - start) * 1000

for name, args in [("--version (first line)", [binary, "--version"]),
                   ("scan 10 lines (to exit)", [binary, "scan", "--year", "2026", log])]:
    first_line_ms(args)  # warm the page cache
    samples = [first_line_ms(args) for _ in range(runs)]
    pick = 0 if name.startswith("--version") else 1
    values = [s[pick] for s in samples]
    print(f"{name:<26} median {statistics.median(values):7.1f} ms   fastest {min(values):7.1f} ms   ({runs} runs)")
EOF
