#!/usr/bin/env bash
# Runs every blueteam test on a fresh Debian machine with the .NET SDK: installs what the tests
# need when it is missing (PostgreSQL, Debian's aiosmtpd SMTP server), starts a throwaway
# PostgreSQL on 127.0.0.1, builds, runs the whole suite, and stops the server again.
# It needs nothing beside the clone: the conformance tests over the public samples in
# ../shared/datasets are scripts/conformance.sh (CI runs both).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

need=()
have_initdb() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; }
have_initdb || need+=(postgresql)
/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || need+=(python3-aiosmtpd)
[ -x /usr/sbin/rsyslogd ] || need+=(rsyslog)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
[ -x /lib/systemd/systemd-journal-remote ] || need+=(systemd-journal-remote)
# Rotated logs as logrotate keeps them: the tests compress with the system's own tools.
command -v bzip2 >/dev/null 2>&1 || need+=(bzip2)
command -v xz >/dev/null 2>&1 || need+=(xz-utils)
command -v zstd >/dev/null 2>&1 || need+=(zstd)
[ -x /usr/sbin/nft ] || need+=(nftables)
command -v ip >/dev/null 2>&1 || need+=(iproute2) # ip netns: the response tests run nft in namespaces of their own
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]} (Debian packages)"
  as_root=""; [ "$(id -u)" -ne 0 ] && as_root="sudo"
  $as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq "${need[@]}" >/dev/null
fi

services="$root/.test-services"
mkdir -p "$services"
# A throwaway server on the first free port from 54329 (a busy port, e.g. another checkout's
# server, is skipped rather than shared).
pg_port="${BLUETEAM_TEST_PG_PORT:-54329}"
BLUETEAM_TEST_PG=""
for try in 0 1 2 3 4 5 6 7 8 9; do
  port=$((pg_port + try))
  echo "== starting a throwaway PostgreSQL on 127.0.0.1:$port"
  if out="$(scripts/start-postgres.sh "$services/pg" "$port")"; then
    BLUETEAM_TEST_PG="$(tail -n 1 <<<"$out")"
    break
  fi
done
if [ -z "$BLUETEAM_TEST_PG" ]; then echo "could not start a throwaway PostgreSQL (ports $pg_port..$((pg_port + 9)))" >&2; exit 1; fi
export BLUETEAM_TEST_PG
trap 'scripts/stop-postgres.sh "$services/pg" >/dev/null 2>&1 || true' EXIT

echo "== building"
dotnet build BlueTeam.sln -c Release -warnaserror --nologo -v quiet

echo "== testing"
set +e
dotnet test tests/BlueTeam.Tests/BlueTeam.Tests.csproj -c Release --no-build --nologo \
  --filter "Category!=Conformance" --logger "console;verbosity=normal" --blame-hang-timeout 5m 2>&1 | tee "$services/test-output.txt"
status=${PIPESTATUS[0]}
set -e
# One plain closing line, whatever the runner printed ("Total tests: N / Passed: N / Failed: N / Skipped: N").
scripts/test-summary.sh "$services/test-output.txt"
exit "$status"
