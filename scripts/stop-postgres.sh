#!/usr/bin/env bash
# Stops the throwaway cluster started by start-postgres.sh. Its data stays in DIR; delete DIR to
# drop it. Succeeds when nothing is running there.
#
#   scripts/stop-postgres.sh DIR
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 DIR" >&2
    exit 2
fi
data=$1/data
if [[ ! -s $data/PG_VERSION ]]; then
    echo "stop-postgres: no cluster in $1" >&2
    exit 0
fi

pg_ctl=
for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
    if [[ -x $candidate/pg_ctl ]]; then pg_ctl=$candidate/pg_ctl; break; fi
done
[[ -n $pg_ctl ]] || pg_ctl=$(command -v pg_ctl) || { echo "stop-postgres: pg_ctl not found" >&2; exit 1; }

as_owner=()
if [[ $(id -u) -eq 0 ]]; then
    as_owner=(runuser -u postgres --)
fi

if "${as_owner[@]}" "$pg_ctl" -D "$data" status >/dev/null 2>&1; then
    "${as_owner[@]}" "$pg_ctl" -D "$data" -m fast -w stop >/dev/null
fi
