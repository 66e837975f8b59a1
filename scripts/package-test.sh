#!/usr/bin/env bash
# Builds the Debian package and tests it on this machine, as root: install (user, groups, modes,
# man pages, completion), the service's command started as the `blueteam` user detecting an attack,
# upgrade (config edits and stored history kept), purge (config and data gone).
# It changes the machine: it installs and purges the package (the system user stays, as Debian
# keeps system users). CI runs it on a throwaway machine.
#
#   scripts/package-test.sh [DEB]     (DEB: test this package instead of building one)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "package-test: must run as root (it installs the package)" >&2; exit 1; }
fail() { echo "package-test: FAIL: $*" >&2; exit 1; }
pass() { echo "package-test: ok: $*"; }

need=()
command -v man >/dev/null 2>&1 || need+=(man-db)
command -v zsh >/dev/null 2>&1 || need+=(zsh)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

work=$(mktemp -d)
chmod 0755 "$work" # the blueteam user reads the test's log and config in here
cleanup() {
  [ -n "${daemon:-}" ] && kill "$daemon" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

deb1=${1:-}
if [ -z "$deb1" ]; then
  deb1=$("$root/scripts/package-deb.sh" --version 0.1.0+test1 --out "$work/dist")
fi
# The upgrade is the same binary packaged as a later version.
dpkg-deb -x "$deb1" "$work/extract"
deb2=$("$root/scripts/package-deb.sh" --version 99.0.0+test2 --out "$work/dist" --binary "$work/extract/usr/bin/blueteam")

dpkg -s blueteam >/dev/null 2>&1 && { echo "== removing an earlier blueteam package"; apt-get purge -y -qq blueteam >/dev/null; }

echo "== install $(basename "$deb1")"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb1" >/dev/null
[ "$(dpkg-query -W -f='${Status}' blueteam)" = "install ok installed" ] || fail "not installed"
getent passwd blueteam >/dev/null || fail "no blueteam user"
groups=$(id -nG blueteam)
for g in adm systemd-journal; do
  if getent group "$g" >/dev/null; then
    tr ' ' '\n' <<<"$groups" | grep -qx "$g" || fail "blueteam is not in group $g ($groups)"
  fi
done
pass "user blueteam in groups: $groups"
[ "$(stat -c '%a %U' /var/lib/blueteam)" = "700 blueteam" ] || fail "/var/lib/blueteam is $(stat -c '%a %U' /var/lib/blueteam)"
[ "$(stat -c '%a %U:%G' /etc/blueteam/blueteam.yaml)" = "640 root:blueteam" ] || fail "/etc/blueteam/blueteam.yaml is $(stat -c '%a %U:%G' /etc/blueteam/blueteam.yaml)"
grep -qx /etc/blueteam/blueteam.yaml /var/lib/dpkg/info/blueteam.conffiles || fail "the config is not a conffile"
pass "state directory 0700, config 0640 root:blueteam, conffile"
/usr/bin/blueteam --version >/dev/null || fail "blueteam --version"
/usr/bin/blueteam config check >/dev/null || fail "the shipped config does not pass config check"
pass "blueteam --version: $(/usr/bin/blueteam --version); shipped config passes config check"
man -w blueteam >/dev/null && man -w 5 blueteam.yaml >/dev/null || fail "man pages not found"
MANPAGER=cat man blueteam 2>/dev/null | grep -q "host security monitor" || fail "man blueteam"
pass "man blueteam and man 5 blueteam.yaml"
out=$(bash -c 'source /usr/share/bash-completion/completions/blueteam; COMP_WORDS=(blueteam alerts l); COMP_CWORD=2; _blueteam; echo "${COMPREPLY[*]}"')
[ "$out" = "list" ] || fail "bash completion of 'blueteam alerts l' gave '$out'"
zsh -n /usr/share/zsh/vendor-completions/_blueteam || fail "zsh completion does not parse"
pass "bash completion completes, zsh completion parses"
systemd-analyze verify /lib/systemd/system/blueteam.service >/dev/null 2>&1 \
  || grep -q '^ExecStart=/usr/bin/blueteam monitor' /lib/systemd/system/blueteam.service || fail "unit file"

echo "== the service's command, as user blueteam"
printf 'host: pkgtest01\nmonitoring: {poll_interval_sec: 1}\ncollectors:\n  auth_log: {type: auth, paths: [%s/auth.log]}\n' "$work" > "$work/blueteam.yaml"
chmod 0644 "$work/blueteam.yaml"
: > "$work/auth.log"; chmod 0644 "$work/auth.log"
if [ -d /run/systemd/system ]; then
  systemctl is-active --quiet blueteam || fail "the service did not start"
  [ "$(ps -o user= -p "$(systemctl show -p MainPID --value blueteam)")" = blueteam ] || fail "the service does not run as blueteam"
  pass "systemd started blueteam.service as user blueteam"
fi
# Without systemd (a container) the unit's ExecStart is run the way the unit runs it: as blueteam.
runuser -u blueteam -- /usr/bin/blueteam --config "$work/blueteam.yaml" monitor --no-dashboard > "$work/daemon.out" 2>&1 &
daemon=$!
sleep 3
kill -0 "$daemon" 2>/dev/null || { cat "$work/daemon.out"; fail "the daemon exited"; }
[ "$(ps -o user= -p "$(pgrep -P "$daemon" -x blueteam || echo "$daemon")" | tr -d ' ')" = blueteam ] || fail "the daemon does not run as blueteam"
for i in $(seq 1 8); do
  echo "$(LC_ALL=C date -u '+%b %e %H:%M:%S') pkgtest01 sshd[4242]: Failed password for root from 203.0.113.7 port $((40000 + i)) ssh2" >> "$work/auth.log"
done
found=""
for i in $(seq 1 30); do
  if runuser -u blueteam -- /usr/bin/blueteam --config "$work/blueteam.yaml" alerts list --format json 2>/dev/null | grep -q '"ssh_brute_force"'; then found=1; break; fi
  sleep 1
done
[ -n "$found" ] || { cat "$work/daemon.out"; fail "no ssh_brute_force alert stored by the packaged daemon"; }
kill -TERM "$daemon"; wait "$daemon" || true; daemon=""
[ -f /var/lib/blueteam/blueteam.db ] || fail "the store is not in /var/lib/blueteam"
pass "the packaged daemon ran as blueteam, stored the brute force in /var/lib/blueteam/blueteam.db, stopped on SIGTERM"

echo "== upgrade to $(basename "$deb2")"
echo "# edited by the administrator" >> /etc/blueteam/blueteam.yaml
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Options::=--force-confold "$deb2" >/dev/null
[ "$(dpkg-query -W -f='${Version}' blueteam)" = "99.0.0+test2" ] || fail "upgrade: version is $(dpkg-query -W -f='${Version}' blueteam)"
grep -q "edited by the administrator" /etc/blueteam/blueteam.yaml || fail "upgrade lost the config edit"
runuser -u blueteam -- /usr/bin/blueteam --config "$work/blueteam.yaml" alerts list --format json | grep -q '"ssh_brute_force"' || fail "upgrade lost the stored history"
pass "upgrade kept the config edit and the stored history"

echo "== purge"
apt-get purge -y -qq blueteam >/dev/null
[ ! -e /usr/bin/blueteam ] || fail "purge left /usr/bin/blueteam"
[ ! -e /etc/blueteam ] || fail "purge left /etc/blueteam"
[ ! -e /var/lib/blueteam ] || fail "purge left /var/lib/blueteam"
pass "purge removed the binary, the config and the data"
echo "package-test: all checks passed"
