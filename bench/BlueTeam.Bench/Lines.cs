using BlueTeam.Core.Config;
using BlueTeam.Parsing;
using BlueTeam.Sources;

namespace BlueTeam.Bench;

/// <summary>Representative lines, one per case the parsers see most.</summary>
internal static class Lines
{
    public const string SshFailed = "Mar 10 08:30:00 eqmon-web01 sshd[3021]: Failed password for root from 203.0.113.7 port 41000 ssh2";
    public const string SshInvalid = "Mar 10 08:32:20 eqmon-web01 sshd[3050]: Invalid user admin from 203.0.113.9 port 52000";
    public const string SshClosedPreauth = "Mar 10 08:32:21 eqmon-web01 sshd[3050]: Connection closed by authenticating user root 203.0.113.9 port 52000 [preauth]";
    public const string PamSession = "Mar 10 08:33:20 eqmon-web01 CRON[3100]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)";
    public const string Sudo = "Mar 10 08:34:00 eqmon-web01 sudo[3200]:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/apt update";
    public const string CronCmd = "Mar 10 08:33:20 eqmon-web01 CRON[3101]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)";
    public const string Logind = "Mar 10 08:33:21 eqmon-web01 systemd-logind[812]: New session 12 of user deploy.";
    public const string Rfc3339 = "2026-03-10T08:30:00.123456+01:00 eqmon-web01 sshd[3021]: Failed password for root from 203.0.113.7 port 41000 ssh2";
    public const string NotSyslog = "this is not a syslog line at all, just some text an application wrote";

    public const string AuditSyscall = "type=SYSCALL msg=audit(1700000000.100:500): arch=c000003e syscall=59 success=yes exit=0 items=1 ppid=1 pid=4242 auid=1000 uid=0 euid=0 tty=pts0 comm=\"cat\" exe=\"/usr/bin/cat\" key=\"cui_read\"";
    public const string AuditUserLogin = "type=USER_LOGIN msg=audit(1700000001.200:501): pid=1 uid=0 auid=4294967295 ses=4294967295 msg='op=login acct=\"root\" exe=\"/usr/sbin/sshd\" hostname=? addr=203.0.113.7 terminal=sshd res=failed'";
    public const string AuditCwd = "type=CWD msg=audit(1700000000.100:500): cwd=\"/root\"";
    public const string Access200 = "203.0.113.7 - - [10/Mar/2026:08:30:00 +0000] \"GET /api/v1/equipment HTTP/1.1\" 200 5120 \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"";
    public const string Access404Probe = "203.0.113.7 - - [10/Mar/2026:08:30:00 +0000] \"GET /.env HTTP/1.1\" 404 153 \"-\" \"python-requests/2.31\"";
    public const string AppJson = "{\"@timestamp\":\"2026-03-10T08:30:00Z\",\"level\":\"warning\",\"event\":\"login_failed\",\"user\":\"alice\",\"ip\":\"203.0.113.7\"}";

    public static readonly ParseContext Context = new() { TimeZone = TimeZoneInfo.Utc, Year = 2026, DefaultHost = "eqmon-web01", Now = new DateTimeOffset(2026, 3, 10, 9, 0, 0, TimeSpan.Zero) };

    public static RawLine Raw(string text, string type) => new() { Collector = "bench", Type = type, Path = "/var/log/bench.log", Text = text };
}
