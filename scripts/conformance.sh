#!/usr/bin/env bash
# Conformance: blueteam's parsers against the public log samples with ground truth (Elastic's
# expected documents, Loghub's templates, auditd's own parser output), read in place from
# ../shared/datasets (or $BLUETEAM_DATASETS) and never copied into the repository.
# Each corpus prints "conformance: CORPUS matched/total"; docs/CONFORMANCE.md holds the scores.
# Fails, saying so, when the datasets are not there.
set -euo pipefail
cd "$(dirname "$0")/.."
datasets="${BLUETEAM_DATASETS:-$(cd .. && pwd)/shared/datasets}"
if [ ! -d "$datasets" ]; then
  echo "conformance: the public samples are not at $datasets (../shared/datasets beside the clone); set BLUETEAM_DATASETS" >&2
  exit 1
fi
export BLUETEAM_DATASETS="$datasets"
mkdir -p .test-services
echo "== building"
dotnet build tests/BlueTeam.Tests/BlueTeam.Tests.csproj -c Release -warnaserror --nologo -v quiet
echo "== conformance tests"
set +e
dotnet test tests/BlueTeam.Tests/BlueTeam.Tests.csproj -c Release --no-build --nologo \
  --filter "Category=Conformance" --logger "console;verbosity=detailed" 2>&1 | tee .test-services/conformance-output.txt
status=${PIPESTATUS[0]}
set -e
grep -o 'conformance: .*' .test-services/conformance-output.txt | sort -u || true
scripts/test-summary.sh .test-services/conformance-output.txt
exit "$status"
