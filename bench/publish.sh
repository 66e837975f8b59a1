#!/usr/bin/env bash
# Publishes blueteam as it is deployed (Release, ReadyToRun, framework-dependent) into DIR and prints
# the binary's path. The benchmark scripts time this binary, not the plain build's JIT-only one.
#
#   bench/publish.sh DIR
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:?usage: bench/publish.sh DIR}
case "$(uname -m)" in
    x86_64) rid=linux-x64 ;;
    aarch64) rid=linux-arm64 ;;
    *) echo "bench/publish.sh: no ReadyToRun runtime identifier for $(uname -m)" >&2; exit 1 ;;
esac
dotnet publish "$ROOT/src/BlueTeam.Cli" -c Release -r "$rid" -o "$OUT" -nologo -v q >/dev/null
echo "$OUT/blueteam"
