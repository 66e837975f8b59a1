#!/usr/bin/env bash
# Side by side with fail2ban: runs fail2ban's sshd filter (Debian's fail2ban package, every mode)
# and `blueteam scan` over the sshd test logs fail2ban ships in that package, read in place (never
# copied into the repository), and prints how many of fail2ban's failures blueteam finds with the
# same source address, and every disagreement. docs/CONFORMANCE.md (sshd section) explains each one.
#
# The journal test log holds lines as fail2ban's journal backend renders entries ("host ident[pid]: MESSAGE");
# they are turned back into `journalctl -o json` entries (the way blueteam reads the journal) in a temporary folder.
#
# Exit 0 when blueteam finds at least $BLUETEAM_SSHD_TARGET percent (default 98) of fail2ban's failures
# in every log with the same address, 1 when it finds fewer, 2 when a tool is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${BLUETEAM_SSHD_TARGET:-98}"

if ! command -v fail2ban-regex >/dev/null 2>&1; then
  echo "== installing fail2ban"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends fail2ban >/dev/null
fi
logs_dir="$(dpkg -L fail2ban | grep -E '/tests/files/logs$' | head -n1)"
if [ -z "$logs_dir" ] || [ ! -f "$logs_dir/sshd" ]; then
  echo "conformance-sshd: fail2ban's sshd test logs are not in the installed package" >&2
  exit 2
fi

blueteam="src/BlueTeam.Cli/bin/Release/net10.0/blueteam"
if [ ! -x "$blueteam" ] || [ -n "${BLUETEAM_REBUILD:-}" ]; then
  echo "== building"
  dotnet build src/BlueTeam.Cli -c Release -warnaserror --nologo -v quiet >/dev/null
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== fail2ban $(fail2ban-regex --version | head -n1 | awk '{print $2}'), logs from the installed package"
for log in sshd sshd-journal; do
  for mode in normal ddos extra aggressive; do
    date_opt=()
    [ "$log" = sshd-journal ] && date_opt=(-d '{NONE}')
    fail2ban-regex -r "${date_opt[@]}" -o '<ip>|||<matches>' "$logs_dir/$log" "sshd[mode=$mode]" > "$work/$log.$mode.f2b"
  done
done

python3 - "$logs_dir" "$work" "$blueteam" "$target" <<'PY'
import ipaddress, json, os, re, subprocess, sys

logs_dir, work, blueteam, target = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])

def norm(addr):
    """An address as both tools may write it: IPv4 octets with leading zeros, IPv4-mapped IPv6, host names."""
    if addr is None:
        return None
    a = addr.strip().lower()
    if re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", a):
        return ".".join(str(int(o, 10)) for o in a.split("."))
    try:
        ip = ipaddress.ip_address(a)
        if ip.version == 6 and ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return ip.compressed
    except ValueError:
        return a

def fail2ban_failures(log):
    """The union over all modes: (address, matched lines) per failure fail2ban reports."""
    seen, out = set(), []
    for mode in ("normal", "ddos", "extra", "aggressive"):
        current = None
        with open(os.path.join(work, f"{log}.{mode}.f2b"), encoding="utf-8", errors="replace") as f:
            records = []
            for raw in f:
                raw = raw.rstrip("\n")
                if "|||" in raw:
                    ip, first = raw.split("|||", 1)
                    current = [ip, [first]]
                    records.append(current)
                elif current is not None and raw:
                    current[1].append(raw)
        for ip, lines in records:
            key = (norm(ip), tuple(lines))
            if key not in seen:
                seen.add(key)
                out.append((ip, lines, mode))
    return out

def log_lines(path):
    """(line number, byte offset, text) of every line that is not a comment of the test file."""
    result, offset = [], 0
    with open(path, "rb") as f:
        for number, raw in enumerate(f, 1):
            text = raw.decode("utf-8", "replace").rstrip("\r\n")
            result.append((number, offset, text))
            offset += len(raw)
    return result

def journal_entries(lines, path):
    """fail2ban renders a journal entry as "HOST IDENT[PID]: MESSAGE"; blueteam reads journalctl -o json."""
    header = re.compile(r"^(?P<host>\S+) (?P<ident>[^\s\[:]+)(?:\[(?P<pid>\d+)\])?: (?P<msg>.*)$")
    mapping, offset = {}, 0
    with open(path, "w", encoding="utf-8") as out:
        for number, _, text in lines:
            if not text or text.startswith("#"):
                continue
            m = header.match(text)
            if not m:
                continue
            entry = {
                "__REALTIME_TIMESTAMP": str(1_700_000_000_000_000 + number * 1_000_000),
                "_HOSTNAME": m["host"], "SYSLOG_IDENTIFIER": m["ident"], "MESSAGE": m["msg"],
                "_COMM": m["ident"], "_EXE": "/usr/sbin/" + m["ident"], "_UID": "0",
                "_SYSTEMD_UNIT": "ssh.service", "_TRANSPORT": "syslog",
            }
            if m["pid"]:
                entry["_PID"] = entry["SYSLOG_PID"] = m["pid"]
            data = json.dumps(entry) + "\n"
            mapping[offset] = number
            out.write(data)
            offset += len(data.encode("utf-8"))
    return mapping

def blueteam_events(path, kind):
    args = [blueteam, "scan", path, "--emit", "events", "--format", "jsonl", "--type", kind]
    if kind == "Auth":
        args += ["--year", "2005"]
    run = subprocess.run(args, capture_output=True, text=True)
    if run.returncode not in (0, 1):
        sys.exit(f"blueteam scan failed ({run.returncode}): {run.stderr.strip()}")
    return [json.loads(l) for l in run.stdout.splitlines() if l.startswith("{")]

def address(e):
    s = e.get("source") or {}
    return s.get("ip") or s.get("domain")

overall_ok = True
for log in ("sshd", "sshd-journal"):
    path = os.path.join(logs_dir, log)
    lines = log_lines(path)
    by_text = {}
    for number, offset, text in lines:
        by_text.setdefault(text, []).append(number)
    if log == "sshd":
        events = blueteam_events(path, "Auth")
        line_of = {offset: number for number, offset, _ in lines}
    else:
        json_path = os.path.join(work, "sshd-journal.json")
        line_of = journal_entries(lines, json_path)
        events = blueteam_events(json_path, "Journald")

    failures_by_line = {}
    pid_of = {}
    for e in events:
        if (e.get("event") or {}).get("outcome") != "failure":
            continue
        number = line_of.get((e.get("log") or {}).get("offset"))
        if number is not None:
            failures_by_line.setdefault(number, []).append(address(e))
            pid_of[number] = (e.get("process") or {}).get("pid")

    f2b = fail2ban_failures(log)
    same, session, missed, differ = 0, [], [], []
    f2b_lines, used = set(), set()
    pid_re = re.compile(r"sshd(?:-session|-auth)?\[(\d+)\]")
    for ip, matched, mode in f2b:
        numbers = sorted({n for text in matched for n in by_text.get(text, [])})
        f2b_lines.update(numbers)
        found = [(n, a) for n in numbers for a in failures_by_line.get(n, [])]
        if any(norm(a) == norm(ip) for _, a in found):
            same += 1
            continue
        # fail2ban may report a failure on a later line of the connection (a success after failed PAM attempts
        # under other names): an earlier blueteam failure of the same pid and address, each used once, is the same finding.
        pid = next((m.group(1) for text in matched for m in [pid_re.search(text)] if m), None)
        last = max(numbers) if numbers else 0
        earlier = [n for n in sorted(failures_by_line) if n < last and n not in used and str(pid_of.get(n)) == pid
                   and any(norm(a) == norm(ip) for a in failures_by_line[n])]
        if pid and earlier and not found:
            used.add(earlier[-1])
            same += 1
            session.append((numbers, ip, earlier[-1]))
        elif found:
            differ.append((numbers, ip, sorted({str(a) for _, a in found}), mode))
        else:
            missed.append((numbers, ip, mode))
    extra = sorted(n for n in failures_by_line if n not in f2b_lines)

    total = len(f2b)
    pct = 100.0 * same / total if total else 100.0
    bt_total = sum(len(v) for v in failures_by_line.values())
    print(f"conformance-sshd: {log}: fail2ban {total} failures (union of modes normal, ddos, extra, aggressive); "
          f"blueteam {bt_total} failure events; same address {same}/{total} ({pct:.1f} %)")
    text_of = {number: text for number, _, text in lines}
    for numbers, ip, earlier in session:
        print(f"  same address on an earlier line of the connection: fail2ban lines {','.join(map(str, numbers))} {ip}, blueteam line {earlier}: {text_of[earlier]}")
    for numbers, ip, mode in missed:
        print(f"  missed   lines {','.join(map(str, numbers))} fail2ban {ip} ({mode}): {text_of[numbers[-1]] if numbers else '?'}")
    for numbers, ip, addrs, mode in differ:
        print(f"  differs  lines {','.join(map(str, numbers))} fail2ban {ip}, blueteam {' '.join(addrs)}: {text_of[numbers[-1]]}")
    for n in extra:
        print(f"  blueteam-only line {n} ({' '.join(str(a) for a in failures_by_line[n])}): {text_of[n]}")
    if pct < target:
        overall_ok = False

print(f"conformance-sshd: {'PASS' if overall_ok else 'FAIL'} (target {target:g} % of fail2ban's failures with the same address in each log)")
sys.exit(0 if overall_ok else 1)
PY
