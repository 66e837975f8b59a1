using System.Globalization;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Parsing;
using BlueTeam.Sources;

namespace BlueTeam.Tests.Correlation;

/// <summary>
/// Real-looking log lines of every format the catalogue reads (auth.log and kern.log in rsyslog's
/// high-precision format, auditd's audit.log, nginx's combined access log, eqmon's JSON lines),
/// and the parser registry the daemon uses to turn them into events. Shared by the catalogue
/// tests and the mixed-log end-to-end test, so the rules are always driven through the real parsers.
/// </summary>
internal static class SecurityLogs
{
    public const string Host = "eqmon-web01";

    /// <summary>Tuesday 2026-03-10, 00:00 UTC.</summary>
    public static readonly DateTimeOffset Day = new(2026, 3, 10, 0, 0, 0, TimeSpan.Zero);

    /// <summary>UTC, "now" a few days after <see cref="Day"/>: every timestamp is deterministic.</summary>
    public static ParseContext Context { get; } = new()
    {
        TimeZone = TimeZoneInfo.Utc,
        Now = new DateTimeOffset(2026, 3, 15, 12, 0, 0, TimeSpan.Zero),
        DefaultHost = Host,
    };

    // ------------------------------------------------------------------ auth.log / kern.log

    /// <summary>A syslog line with an RFC 3339 timestamp (rsyslog's RSYSLOG_FileFormat), so no year or zone is guessed.</summary>
    public static string Syslog(DateTimeOffset at, string program, int? pid, string message) =>
        $"{at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture)}+00:00 {Host} {program}{(pid is { } p ? $"[{p}]" : "")}: {message}";

    public static string Sshd(DateTimeOffset at, string message, int pid = 3021) => Syslog(at, "sshd", pid, message);

    public static string FailedPassword(DateTimeOffset at, string ip, string user = "root", int port = 41000, int pid = 3021, bool invalidUser = false) =>
        Sshd(at, $"Failed password for {(invalidUser ? "invalid user " : "")}{user} from {ip} port {port} ssh2", pid);

    /// <summary>The pam_unix line sshd logs for the same failed attempt as its "Failed password" line.</summary>
    public static string PamSshdFailure(DateTimeOffset at, string ip, string user = "root", int pid = 3021) =>
        Sshd(at, $"pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}  user={user}", pid);

    public static string RepeatedFailedPassword(DateTimeOffset at, int times, string ip, string user = "root", int port = 41000, int pid = 3021) =>
        Sshd(at, $"message repeated {times} times: [ Failed password for {user} from {ip} port {port} ssh2]", pid);

    public static string Accepted(DateTimeOffset at, string ip, string user, string method = "password", int pid = 3100) =>
        Sshd(at, method == "publickey"
            ? $"Accepted publickey for {user} from {ip} port 50122 ssh2: ED25519 SHA256:q0Zp1bWkq9r2QyKAXIvyc9cM0oRCa1uXx0qFZl1ZrIY"
            : $"Accepted password for {user} from {ip} port 50122 ssh2", pid);

    public static string SudoCommand(DateTimeOffset at, string user, string command, string runAs = "root") =>
        Syslog(at, "sudo", null, $"  {user} : TTY=pts/0 ; PWD=/home/{user} ; USER={runAs} ; COMMAND={command}");

    public static string SudoNotInSudoers(DateTimeOffset at, string user, string command) =>
        Syslog(at, "sudo", null, $"  {user} : user NOT in sudoers ; TTY=pts/1 ; PWD=/home/{user} ; USER=root ; COMMAND={command}");

    public static string SudoPasswordRequired(DateTimeOffset at, string user, string command) =>
        Syslog(at, "sudo", null, $"  {user} : a password is required ; TTY=unknown ; PWD=/home/{user} ; USER=root ; COMMAND={command}");

    public static string SudoIncorrectPasswords(DateTimeOffset at, string user, int attempts, string command = "/bin/bash") =>
        Syslog(at, "sudo", null, $"  {user} : {attempts} incorrect password attempt{(attempts == 1 ? "" : "s")} ; TTY=pts/1 ; PWD=/home/{user} ; USER=root ; COMMAND={command}");

    /// <summary>The pam_unix line sudo logs for each wrong password (not counted: sudo's own line is).</summary>
    public static string PamSudoFailure(DateTimeOffset at, string user) =>
        Syslog(at, "sudo", null, $"pam_unix(sudo:auth): authentication failure; logname={user} uid=1001 euid=0 tty=/dev/pts/1 ruser={user} rhost=  user={user}");

    public static string SuFailed(DateTimeOffset at, string user, string target = "root", int pid = 5120) =>
        Syslog(at, "su", pid, $"FAILED SU (to {target}) {user} on pts/1");

    public static string CronSession(DateTimeOffset at, int pid = 4100) =>
        Syslog(at, "CRON", pid, "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)");

    public static string CronSessionClosed(DateTimeOffset at, int pid = 4100) =>
        Syslog(at, "CRON", pid, "pam_unix(cron:session): session closed for user root");

    public static string UserAdded(DateTimeOffset at, string user, int uid = 1005, int pid = 6001) =>
        Syslog(at, "useradd", pid, $"new user: name={user}, UID={uid}, GID={uid}, home=/home/{user}, shell=/bin/bash, from=/dev/pts/0");

    public static string UserDeleted(DateTimeOffset at, string user, int pid = 6101) =>
        Syslog(at, "userdel", pid, $"delete user '{user}'");

    public static string UsermodAddToGroup(DateTimeOffset at, string user, string group, int pid = 6201) =>
        Syslog(at, "usermod", pid, $"add '{user}' to group '{group}'");

    public static string GpasswdAdd(DateTimeOffset at, string user, string actor, string group, int pid = 6301) =>
        Syslog(at, "gpasswd", pid, $"user {user} added by {actor} to group {group}");

    public static string KernelBacklogExceeded(DateTimeOffset at) => Syslog(at, "kernel", null, "[12345.678901] audit: backlog limit exceeded");

    public static string KernelAuditLost(DateTimeOffset at, int lost) =>
        Syslog(at, "kernel", null, $"[12346.001002] audit: audit_lost={lost} audit_rate_limit=0 audit_backlog_limit=64");

    // ------------------------------------------------------------------ audit.log

    /// <summary>One audit.log record (enriched format, with node=), at <paramref name="at"/> with serial <paramref name="serial"/>.</summary>
    public static string Audit(DateTimeOffset at, long serial, string type, string body)
    {
        var ms = at.ToUnixTimeMilliseconds();
        return $"node={Host} type={type} msg=audit({ms / 1000}.{ms % 1000:000}:{serial}): {body}";
    }

    public static string AuditAddUser(DateTimeOffset at, long serial, string user) =>
        Audit(at, serial, "ADD_USER", $"pid=6001 uid=0 auid=1000 ses=3 subj=unconfined msg='op=add-user acct=\"{user}\" exe=\"/usr/sbin/useradd\" hostname={Host} addr=? terminal=pts/0 res=success'\u001dUID=\"root\" AUID=\"alice\"");

    public static string AuditDelUser(DateTimeOffset at, long serial, string user) =>
        Audit(at, serial, "DEL_USER", $"pid=6101 uid=0 auid=1000 ses=3 subj=unconfined msg='op=delete-user acct=\"{user}\" exe=\"/usr/sbin/userdel\" hostname={Host} addr=? terminal=pts/0 res=success'\u001dUID=\"root\" AUID=\"alice\"");

    public static string AuditDaemonEnd(DateTimeOffset at, long serial) =>
        Audit(at, serial, "DAEMON_END", "op=terminate auid=0 uid=0 ses=4294967295 subj=unconfined pid=1 res=success\u001dAUID=\"root\" UID=\"root\"");

    public static string AuditDaemonAbort(DateTimeOffset at, long serial) =>
        Audit(at, serial, "DAEMON_ABORT", "op=abort auid=0 uid=0 pid=812 subj=unconfined res=failed");

    public static string AuditDaemonStart(DateTimeOffset at, long serial, bool ok) =>
        Audit(at, serial, "DAEMON_START", $"op=start ver=3.1.2 format=enriched kernel=6.1.0-18-amd64 auid=4294967295 pid=812 uid=0 ses=4294967295 subj=unconfined res={(ok ? "success" : "failed")}\u001dAUID=\"unset\" UID=\"root\"");

    public static string AuditConfigChange(DateTimeOffset at, long serial, string op, string key = "cui") =>
        Audit(at, serial, "CONFIG_CHANGE", $"auid=1000 ses=3 subj=unconfined op={op} key=\"{key}\" list=4 res=1\u001dAUID=\"alice\"");

    public static string AuditDisable(DateTimeOffset at, long serial) =>
        Audit(at, serial, "CONFIG_CHANGE", "op=set audit_enabled=0 old=1 auid=1000 ses=3 subj=unconfined res=1\u001dAUID=\"alice\"");

    /// <summary>An ordinary execve: SYSCALL, EXECVE, CWD, PATH and PROCTITLE records of one event.</summary>
    public static IEnumerable<string> AuditExecve(DateTimeOffset at, long serial, string exe, string proctitleHex)
    {
        yield return Audit(at, serial, "SYSCALL", $"arch=c000003e syscall=59 success=yes exit=0 a0=55d0 a1=55d1 a2=55d2 a3=0 items=2 ppid=4100 pid=4101 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=12 comm=\"{Path.GetFileName(exe)}\" exe=\"{exe}\" subj=unconfined key=\"exec\"\u001dARCH=x86_64 SYSCALL=execve AUID=\"root\" UID=\"root\"");
        yield return Audit(at, serial, "EXECVE", "argc=1 a0=\"" + Path.GetFileName(exe) + "\"");
        yield return Audit(at, serial, "CWD", "cwd=\"/root\"");
        yield return Audit(at, serial, "PATH", $"item=0 name=\"{exe}\" inode=1835 dev=fd:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0");
        yield return Audit(at, serial, "PROCTITLE", $"proctitle={proctitleHex}");
    }

    /// <summary>The USER_AUTH record auditd writes for an SSH password attempt (not matched by the ssh rules: they read sshd's lines).</summary>
    public static string AuditSshAuth(DateTimeOffset at, long serial, string user, string ip, bool ok) =>
        Audit(at, serial, "USER_AUTH", $"pid=3021 uid=0 auid=4294967295 ses=4294967295 subj=unconfined msg='op=PAM:authentication grantors={(ok ? "pam_unix" : "?")} acct=\"{user}\" exe=\"/usr/sbin/sshd\" hostname={ip} addr={ip} terminal=ssh res={(ok ? "success" : "failed")}'\u001dUID=\"root\" AUID=\"unset\"");

    // ------------------------------------------------------------------ nginx access.log (combined)

    public const string Browser = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36";

    public static string Access(DateTimeOffset at, string ip, string target, int status, string userAgent = Browser, string method = "GET", long bytes = 512, string referrer = "-") =>
        $"{ip} - - [{at.UtcDateTime.ToString("dd/MMM/yyyy:HH:mm:ss", CultureInfo.InvariantCulture)} +0000] \"{method} {target} HTTP/1.1\" {status} {bytes} \"{referrer}\" \"{userAgent}\"";

    // ------------------------------------------------------------------ eqmon JSON lines

    public static string EqmonLogin(DateTimeOffset at, string user, string ip, bool ok) =>
        $"{{\"timestamp\":\"{at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)}\",\"level\":\"info\",\"event\":\"login\",\"outcome\":\"{(ok ? "success" : "failure")}\",\"user\":\"{user}\",\"ip\":\"{ip}\"}}";

    // ------------------------------------------------------------------ parsing

    private static readonly Dictionary<string, string> Paths = new()
    {
        ["auth"] = "/var/log/auth.log",
        ["audit"] = "/var/log/audit/audit.log",
        ["access"] = "/var/log/nginx/access.log",
        ["json"] = "/var/log/eqmon/app.log",
    };

    /// <summary>The events the daemon's parsers make of <paramref name="lines"/> (a multi-line format is flushed at the end); a line that yields none fails the test.</summary>
    public static List<SecurityEvent> Parse(string type, params IEnumerable<string>[] lines)
    {
        var registry = ParserRegistry.CreateDefault();
        var events = new List<SecurityEvent>();
        long offset = 0;
        var before = 0;
        foreach (var text in lines.SelectMany(l => l))
        {
            var raw = new RawLine
            {
                Collector = type.ToString().ToLowerInvariant(), Type = type, Path = Paths[type], Text = text,
                Offset = offset, EndOffset = offset + text.Length + 1,
            };
            offset = raw.EndOffset;
            events.AddRange(registry.ParseAll(raw, Context));
            // auditd's multi-record events complete later; every other line must give exactly one event.
            if (type != "audit" && events.Count == before) throw new InvalidOperationException($"the parser gave no event for: {text}");
            before = events.Count;
        }
        events.AddRange(registry.Flush());
        return events;
    }

    public static List<SecurityEvent> Auth(params IEnumerable<string>[] lines) => Parse("auth", lines);
    public static List<SecurityEvent> AuditLog(params IEnumerable<string>[] lines) => Parse("audit", lines);
    public static List<SecurityEvent> AccessLog(params IEnumerable<string>[] lines) => Parse("access", lines);
    public static List<SecurityEvent> Eqmon(params IEnumerable<string>[] lines) => Parse("json", lines);

    public static SecurityEvent One(string type, string line) => Assert.Single(Parse(type, [line]));
}
