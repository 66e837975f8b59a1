#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the contract tests, on 127.0.0.1 only.
#
#   scripts/start-postgres.sh DIR PORT
#
# The cluster's data and its unix socket live in DIR; authentication is "trust", fsync is off:
# this is for tests, never for data anyone keeps. Running it again while the cluster is up just
# succeeds. The only line on stdout (so also the last) is the connection string: export it as
# BLUETEAM_TEST_PG. Progress and errors go to stderr.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 DIR PORT" >&2
    exit 2
fi
dir=$1
port=$2
if ! [[ $port =~ ^[0-9]+$ ]] || (( port < 1024 || port > 65535 )); then
    echo "start-postgres: PORT must be a number between 1024 and 65535, not '$port'" >&2
    exit 2
fi
user=blueteam
database=blueteam
conn="Host=127.0.0.1;Port=$port;Username=$user;Database=$database"

find_bin() {
    local name=$1 candidate
    # Debian/Ubuntu keep the server binaries out of PATH; prefer the newest installed major.
    for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
        if [[ -x $candidate/$name ]]; then echo "$candidate/$name"; return 0; fi
    done
    command -v "$name" 2>/dev/null || return 1
}

if ! find_bin initdb >/dev/null; then
    echo "start-postgres: no initdb found; installing postgresql with apt-get" >&2
    apt-get update >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
fi
initdb=$(find_bin initdb) || { echo "start-postgres: initdb still not found after installing postgresql" >&2; exit 1; }
bindir=$(dirname "$initdb")
pg_ctl=$bindir/pg_ctl
pg_isready=$(find_bin pg_isready || true)
psql=$(find_bin psql) || { echo "start-postgres: psql not found" >&2; exit 1; }

# PostgreSQL refuses to run as root: run the server tools as the postgres user instead.
as_owner=()
if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || { echo "start-postgres: running as root but there is no 'postgres' user to run the server as" >&2; exit 1; }
    as_owner=(runuser -u postgres --)
fi

is_ready() {
    if [[ -n $pg_isready ]]; then
        "$pg_isready" -q -h 127.0.0.1 -p "$port" -U "$user" -d postgres
    else
        "$psql" -h 127.0.0.1 -p "$port" -U "$user" -d postgres -Atqc 'select 1' >/dev/null 2>&1
    fi
}

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [[ ${#as_owner[@]} -gt 0 ]]; then
    chown postgres: "$dir"
fi
chmod 0700 "$dir"
data=$dir/data

if [[ ! -s $data/PG_VERSION ]]; then
    "${as_owner[@]}" "$initdb" -D "$data" -A trust -U "$user" -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
        || { echo "start-postgres: initdb failed; see $dir/initdb.log" >&2; tail -n 20 "$dir/initdb.log" >&2; exit 1; }
fi

if ! "${as_owner[@]}" "$pg_ctl" -D "$data" status >/dev/null 2>&1; then
    if is_ready; then
        echo "start-postgres: something else already answers on 127.0.0.1:$port" >&2
        exit 1
    fi
    "${as_owner[@]}" "$pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null \
        || { echo "start-postgres: the server did not start; see $dir/postgres.log" >&2; tail -n 20 "$dir/postgres.log" >&2; exit 1; }
fi

for _ in $(seq 1 60); do
    if is_ready; then break; fi
    sleep 0.5
done
is_ready || { echo "start-postgres: the server is not accepting connections on 127.0.0.1:$port" >&2; exit 1; }

exists=$("$psql" -h 127.0.0.1 -p "$port" -U "$user" -d postgres -Atqc "select 1 from pg_database where datname = '$database'")
if [[ $exists != 1 ]]; then
    "$psql" -h 127.0.0.1 -p "$port" -U "$user" -d postgres -qc "create database $database" >/dev/null
fi

echo "$conn"
