#!/usr/bin/env bash
# Fleet simulator: N simulated hosts publish fleet signals into one PostgreSQL while a real
# `blueteam monitor` is the elected fleet correlator; prints signals/s accepted, fleet incident
# latency (p50/p99), table growth per host and day, and the leader's CPU.
#
#   bench/fleet.sh N [SECONDS] [-- harness options: --rate R --spray-every SEC]
#
# N is 1..200 (default 50), SECONDS the run (default 60). PostgreSQL: BLUETEAM_BENCH_POSTGRES, else a
# throwaway cluster from scripts/start-postgres.sh (port 54390, under .test-services/fleet-bench, stopped
# at the end). Set BLUETEAM to a built blueteam to skip the build (by default it is published as
# deployed, ReadyToRun, by bench/publish.sh). Exits 1 when a spray raised no fleet incident.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
hosts=${1:-50}
seconds=${2:-60}
shift $(( $# > 2 ? 2 : $# ))
[[ ${1:-} == "--" ]] && shift

cleanup=()
trap 'for c in "${cleanup[@]}"; do eval "$c"; done' EXIT
if [[ -z "${BLUETEAM:-}" ]]; then
    BIN=$(mktemp -d "${TMPDIR:-/tmp}/blueteam-fleet-bin.XXXXXX")
    cleanup+=("rm -rf '$BIN'")
    BLUETEAM=$("$ROOT/bench/publish.sh" "$BIN")
fi
if [[ -z "${BLUETEAM_BENCH_POSTGRES:-}" ]]; then
    PGDIR="$ROOT/.test-services/fleet-bench"
    BLUETEAM_BENCH_POSTGRES=$("$ROOT/scripts/start-postgres.sh" "$PGDIR" 54390 | tail -n1)
    cleanup+=("'$ROOT/scripts/stop-postgres.sh' '$PGDIR' >/dev/null")
fi
export BLUETEAM_BENCH_POSTGRES
dotnet run --project "$ROOT/bench/BlueTeam.Bench" -c Release -- fleet --hosts "$hosts" --seconds "$seconds" --binary "$BLUETEAM" "$@"
