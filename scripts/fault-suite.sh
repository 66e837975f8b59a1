#!/usr/bin/env bash
# The long fault suite (docs/RELIABILITY.md): the same tests CI runs in their short form, with
# the full figures: 50 SIGKILLs in the crash loop, PostgreSQL down for 60 s, more attacks during
# the channel outage, 100 rotations of each kind in the rotation storm, a longer full-disk burst. Needs what scripts/test.sh installs (PostgreSQL, aiosmtpd, rsyslog); it
# starts its own throwaway PostgreSQL clusters on free loopback ports and never touches the
# shared one. Prints one line of figures per suite and writes them to .test-services/fault-report.txt.
#
#   scripts/fault-suite.sh            # 50 kills, 60 s store outage
#   KILLS=10 PG_DOWN=15 ROTATIONS=30 scripts/fault-suite.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .test-services
report="$(pwd)/.test-services/fault-report.txt"
: > "$report"

export BLUETEAM_FAULT_KILLS="${KILLS:-50}"
export BLUETEAM_FAULT_PG_DOWN_SEC="${PG_DOWN:-60}"
export BLUETEAM_FAULT_OUTAGE_ATTACKS="${OUTAGE_ATTACKS:-20}"
export BLUETEAM_FAULT_ROTATIONS="${ROTATIONS:-100}"
export BLUETEAM_FAULT_DISK_FULL_ATTACKS="${DISK_FULL_ATTACKS:-30}"
export BLUETEAM_FAULT_SEED="${SEED:-20260310}"
export BLUETEAM_FAULT_REPORT="$report"

echo "== building"
dotnet build BlueTeam.sln -c Release --nologo -v quiet
echo "== fault suite: kills=$BLUETEAM_FAULT_KILLS pg-down=${BLUETEAM_FAULT_PG_DOWN_SEC}s rotations=$BLUETEAM_FAULT_ROTATIONS seed=$BLUETEAM_FAULT_SEED"
set +e
dotnet test tests/BlueTeam.Tests/BlueTeam.Tests.csproj -c Release --no-build --nologo \
  --filter "FullyQualifiedName~BlueTeam.Tests.Reliability" --logger "console;verbosity=normal" --blame-hang-timeout 15m
status=$?
set -e
echo "== figures"
cat "$report"
exit "$status"
