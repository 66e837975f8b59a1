#!/usr/bin/env bash
# Builds the Debian package and tests it on this machine, as root: install (user, groups, modes,
# man pages, completion), the service started by systemd as the `blueteam` user (a systemd booted in a
# namespace of the test's own when the machine has none), its command detecting an attack,
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
# The packages live outside /tmp: the systemd booted below has a /tmp of its own.
debs=$(mktemp -d -p /var/cache blueteam-pkgtest.XXXXXX)
sd=""
cleanup() {
  [ -n "${daemon:-}" ] && kill "$daemon" 2>/dev/null || true
  # Killing the namespace's PID 1 ends every process in it.
  [ -n "$sd" ] && kill -KILL "$sd" 2>/dev/null || true
  rm -rf "$work" "$debs"
}
trap cleanup EXIT

deb1=${1:-}
if [ -n "$deb1" ]; then cp "$deb1" "$debs/"; deb1="$debs/$(basename "$deb1")"
else deb1=$("$root/scripts/package-deb.sh" --version 0.1.0+test1 --out "$debs")
fi
# The upgrade is the same binary packaged as a later version.
dpkg-deb -x "$deb1" "$work/extract"
deb2=$("$root/scripts/package-deb.sh" --version 99.0.0+test2 --out "$debs" --binary "$work/extract/usr/bin/blueteam")

dpkg -s blueteam >/dev/null 2>&1 && { echo "== removing an earlier blueteam package"; apt-get purge -y -qq blueteam >/dev/null; }

# Where the package is installed, upgraded and purged: under the machine's systemd when it has one, else under a
# systemd booted for this test as PID 1 of a PID and mount namespace of its own (unshare), so that the package's
# scripts see a running systemd and the service is started, restarted and stopped by systemd itself, as on a
# server. The namespace shares the file system, so systemd's boot-time clean-ups must not reach the machine's own
# files: it gets private /tmp, /var/tmp and /run, and the tmpfiles clean-ups are masked.
sysd=()
if [ -d /run/systemd/system ]; then
  echo "== this machine runs systemd: the package is tested under it"
elif [ -x /lib/systemd/systemd ] && command -v unshare >/dev/null && command -v nsenter >/dev/null; then
  echo "== booting systemd in a PID and mount namespace of the test's own"
  cat > "$work/sd-init" <<'EOF'
#!/bin/sh
set -e
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=1777 tmpfs /var/tmp
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/systemd/system
for unit in systemd-tmpfiles-setup.service systemd-tmpfiles-clean.timer systemd-tmpfiles-clean.service; do
  ln -s /dev/null "/run/systemd/system/$unit"
done
# A container image's policy-rc.d forbids package scripts to start services; a server has none.
if [ -e /usr/sbin/policy-rc.d ]; then mount --bind "$(dirname "$0")/policy-rc.d" /usr/sbin/policy-rc.d; fi
exec /lib/systemd/systemd --system --unit=basic.target
EOF
  printf '#!/bin/sh\nexit 0\n' > "$debs/policy-rc.d"
  chmod 0755 "$debs/policy-rc.d"
  chmod 0755 "$work/sd-init"
  cp "$work/sd-init" "$debs/sd-init"
  setsid unshare --pid --fork --mount-proc --mount --propagation private "$debs/sd-init" > "$work/systemd.out" 2>&1 < /dev/null &
  wrapper=$!
  for i in $(seq 1 50); do sd=$(pgrep -P "$wrapper" || true); [ -n "$sd" ] && break; sleep 0.2; done
  [ -n "$sd" ] || { cat "$work/systemd.out"; fail "systemd did not start in its namespace"; }
  state=""
  for i in $(seq 1 60); do
    state=$(nsenter -t "$sd" -m -p systemctl is-system-running 2>/dev/null || true)
    [ "$state" = running ] || [ "$state" = degraded ] && break
    sleep 1
  done
  [ "$state" = running ] || [ "$state" = degraded ] || { cat "$work/systemd.out"; fail "systemd in the namespace is '$state'"; }
  sysd=(nsenter -t "$sd" -m -p)
  pass "systemd booted as PID 1 of the test's namespace ($state)"
else
  echo "package-test: SKIPPED the service under systemd: no systemd here to boot (the unit's command is still tested as user blueteam)" >&2
fi
under_systemd() { [ -d /run/systemd/system ] || [ -n "$sd" ]; }

echo "== install $(basename "$deb1")"
apt-get update -qq
"${sysd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb1" >/dev/null
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

echo "== the service under systemd, then its command by hand as user blueteam"
printf 'host: pkgtest01\nmonitoring: {poll_interval_sec: 1}\ncollectors:\n  auth_log: {type: auth, paths: [%s/auth.log]}\n' "$work" > "$work/blueteam.yaml"
chmod 0644 "$work/blueteam.yaml"
: > "$work/auth.log"; chmod 0644 "$work/auth.log"
if under_systemd; then
  # Installing enabled and started the service (the package's postinst, as on any systemd host).
  for i in $(seq 1 30); do "${sysd[@]}" systemctl is-active --quiet blueteam && break; sleep 1; done
  "${sysd[@]}" systemctl is-active --quiet blueteam || { "${sysd[@]}" systemctl status blueteam --no-pager || true; fail "the service did not start"; }
  "${sysd[@]}" systemctl is-enabled --quiet blueteam || fail "the service is not enabled"
  main=$("${sysd[@]}" systemctl show -p MainPID --value blueteam)
  [ "$("${sysd[@]}" ps -o user= -p "$main" | tr -d ' ')" = blueteam ] || fail "the service does not run as blueteam"
  # Type=notify: active means the daemon itself said it was ready (READY=1), and running that it still runs.
  [ "$("${sysd[@]}" systemctl show -p SubState --value blueteam)" = running ] || fail "the service is not running: $("${sysd[@]}" systemctl show -p SubState --value blueteam)"
  # What the service said at start, for the log (the journal may lag behind under load; not an assertion).
  "${sysd[@]}" journalctl -u blueteam --no-pager -n 8 2>/dev/null | sed 's/^/  journal: /' || true
  "${sysd[@]}" systemctl stop blueteam
  [ "$("${sysd[@]}" systemctl show -p Result --value blueteam)" = success ] || fail "the service did not stop cleanly: $("${sysd[@]}" systemctl show -p Result --value blueteam)"
  pass "installing started blueteam.service under systemd (enabled, ready, as user blueteam); it stopped cleanly"
fi
# The unit's command is also run by hand as blueteam, on a config and log of the test's own, to see it detect an attack.
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
"${sysd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Options::=--force-confold "$deb2" >/dev/null
[ "$(dpkg-query -W -f='${Version}' blueteam)" = "99.0.0+test2" ] || fail "upgrade: version is $(dpkg-query -W -f='${Version}' blueteam)"
grep -q "edited by the administrator" /etc/blueteam/blueteam.yaml || fail "upgrade lost the config edit"
if under_systemd; then
  for i in $(seq 1 30); do "${sysd[@]}" systemctl is-active --quiet blueteam && break; sleep 1; done
  "${sysd[@]}" systemctl is-active --quiet blueteam || fail "the upgrade did not start the service again"
  "${sysd[@]}" systemctl stop blueteam
  pass "the upgrade started the service again under systemd"
fi
runuser -u blueteam -- /usr/bin/blueteam --config "$work/blueteam.yaml" alerts list --format json | grep -q '"ssh_brute_force"' || fail "upgrade lost the stored history"
pass "upgrade kept the config edit and the stored history"

echo "== purge"
if under_systemd; then "${sysd[@]}" systemctl start blueteam; fi
"${sysd[@]}" apt-get purge -y -qq blueteam >/dev/null
if under_systemd; then
  "${sysd[@]}" systemctl is-active --quiet blueteam && fail "purge left the service running"
  pass "purge stopped the service"
fi
[ ! -e /usr/bin/blueteam ] || fail "purge left /usr/bin/blueteam"
[ ! -e /etc/blueteam ] || fail "purge left /etc/blueteam"
[ ! -e /var/lib/blueteam ] || fail "purge left /var/lib/blueteam"
pass "purge removed the binary, the config and the data"
echo "package-test: all checks passed"
