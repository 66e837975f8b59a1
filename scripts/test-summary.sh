#!/usr/bin/env bash
# Prints the one plain closing line ("N passed, N failed, N skipped") from a `dotnet test` output
# file, and fails when any test was skipped: every test must run, or say loudly why not.
#   scripts/test-summary.sh OUTPUT_FILE
set -euo pipefail
out=$1
count() { grep -E "^ *$1: *[0-9]+" "$out" | tail -n 1 | grep -oE '[0-9]+' || echo 0; }
passed=$(count Passed); failed=$(count Failed); skipped=$(count Skipped)
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "${skipped:-0}" != "0" ]; then echo "skipped tests are not allowed: every test must run"; exit 1; fi
if [ "${passed:-0}" = "0" ]; then echo "no test ran"; exit 1; fi
