using System.Text.Json;
using BlueTeam.Tests.Correlation;
using BlueTeam.Tests.Support;
using L = BlueTeam.Tests.Correlation.SecurityLogs;

namespace BlueTeam.Tests.Cli;

/// <summary>
/// One day on eqmon-web01 written as the host would write it (auth.log, kern.log, audit.log, nginx's
/// access.log): every attack the catalogue can see in a log, among ordinary admin work, scanned by
/// the built binary. Each attack must come out once, from the right rule, with the right severity and
/// keys, and the ordinary work must raise nothing.
/// </summary>
/// <remarks>
/// The rules that watch the pipeline itself (collector_failure, log_source_silent, audit_log_tampered)
/// need a tailer or a wall clock and are not reachable from a scan of finished files; their tests drive
/// the tailer's events directly (CatalogueRuleTests). The kernel's audit-loss lines live in kern.log,
/// not auth.log, so the scan reads that file too.
/// </remarks>
public class ScanMixedLogsEndToEndTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly DateTimeOffset Day = L.Day; // Tuesday 2026-03-10, UTC
    private static DateTimeOffset T(int h, int m, int s = 0, int ms = 0) => Day + new TimeSpan(0, h, m, s, ms);

    /// <summary>(rule, key values as the incident shows them, severity) of every attack written below.</summary>
    private static readonly (string Rule, string Key, string Severity)[] Expected =
    [
        ("ssh_brute_force", "203.0.113.7", "high"),
        ("password_spray", "203.0.113.9", "high"),
        ("login_after_failures", "198.51.100.77 jenkins", "critical"),
        ("root_login", "198.51.100.40", "high"),
        ("off_hours_login", "198.51.100.30 deploy", "medium"),
        ("new_login_source", "203.0.113.50 alice", "low"),
        ("sudo_not_allowed", "mallory", "high"),
        ("sudo_auth_failure", "bob", "medium"),
        ("privileged_group_change", "backdoor", "high"),
        ("account_created", "backdoor", "medium"),
        ("account_deleted", "contractor", "medium"),
        ("audit_events_lost", "eqmon-web01", "high"),
        ("audit_config_changed", "eqmon-web01", "high"),
        ("audit_daemon_stopped", "eqmon-web01", "critical"),
        ("web_attack", "198.51.100.66", "high"),
        ("web_scanner", "203.0.113.120", "medium"),
        ("web_scanner", "203.0.113.121", "medium"),
    ];

    private static IEnumerable<string> AuthLog()
    {
        // ---- ordinary work
        for (var h = 0; h < 24; h++)
        {
            yield return L.CronSession(T(h, 17, 1), pid: 4100 + h);
            yield return L.CronSessionClosed(T(h, 17, 2), pid: 4100 + h);
        }
        // alice mistypes her password once, then logs in from the office (her first address: learned, not reported).
        yield return L.FailedPassword(T(9, 0, 0), "198.51.100.20", "alice", port: 52000, pid: 3001);
        yield return L.PamSshdFailure(T(9, 0, 0, 5), "198.51.100.20", "alice", pid: 3001);
        yield return L.Accepted(T(9, 0, 8), "198.51.100.20", "alice", pid: 3001);
        yield return L.Syslog(T(9, 0, 8, 200), "sshd", 3001, "pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)");
        yield return L.Syslog(T(9, 0, 8, 300), "systemd-logind", 812, "New session 41 of user alice.");
        // …and restarts nginx with sudo during working hours.
        yield return L.SudoCommand(T(9, 5), "alice", "/usr/bin/systemctl restart nginx");
        yield return L.Syslog(T(9, 5, 0, 10), "sudo", null, "pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)");
        yield return L.Syslog(T(9, 5, 1), "sudo", null, "pam_unix(sudo:session): session closed for user root");
        yield return L.Syslog(T(9, 6), "su", 5200, "Successful su for postgres by alice");
        // The deploy pipeline's key, from its usual address.
        yield return L.Accepted(T(10, 0), "198.51.100.30", "deploy", method: "publickey", pid: 3300);

        // ---- attacks
        // root logs in directly (PermitRootLogin left on).
        yield return L.Accepted(T(9, 30), "198.51.100.40", "root", method: "publickey", pid: 3200);
        // Brute force: five attempts (sshd's line and pam_unix's line each) and rsyslog folding three more into one line.
        for (var i = 0; i < 5; i++)
        {
            yield return L.PamSshdFailure(T(10, 15, i * 10), "203.0.113.7", pid: 3400 + i);
            yield return L.FailedPassword(T(10, 15, i * 10 + 2), "203.0.113.7", port: 41000 + i, pid: 3400 + i);
        }
        yield return L.RepeatedFailedPassword(T(10, 16), 3, "203.0.113.7", port: 41005, pid: 3405);
        yield return L.Sshd(T(10, 16, 5), "Connection closed by authenticating user root 203.0.113.7 port 41005 [preauth]", pid: 3405);
        // Low-and-slow spray: five real accounts, 100 s apart (never five failures within the brute-force window).
        string[] sprayed = ["alice", "bob", "carol", "deploy", "admin"];
        for (var i = 0; i < sprayed.Length; i++)
            yield return L.FailedPassword(T(11, 0) + TimeSpan.FromSeconds(i * 100), "203.0.113.9", sprayed[i], port: 43000 + i, pid: 3500 + i);
        // Slow guessing that worked: five failures over 320 s, then the account's first login ever.
        for (var i = 0; i < 5; i++)
            yield return L.FailedPassword(T(12, 0) + TimeSpan.FromSeconds(i * 80), "198.51.100.77", "jenkins", port: 44000 + i, pid: 3600 + i);
        yield return L.Accepted(T(12, 5, 40), "198.51.100.77", "jenkins", pid: 3605);
        // sudo refused to a user not in sudoers; bob fails sudo's password three times.
        yield return L.SudoNotInSudoers(T(13, 0), "mallory", "/bin/cat /etc/shadow");
        yield return L.PamSudoFailure(T(13, 30), "bob");
        yield return L.PamSudoFailure(T(13, 30, 4), "bob");
        yield return L.PamSudoFailure(T(13, 30, 8), "bob");
        yield return L.SudoIncorrectPasswords(T(13, 30, 9), "bob", 3);
        // alice's account used from an address it never used.
        yield return L.Accepted(T(14, 0), "203.0.113.50", "alice", pid: 3700);
        // A backdoor account, then made an administrator.
        yield return L.Syslog(T(15, 0), "useradd", 6001, "new group: name=backdoor, GID=1005");
        yield return L.UserAdded(T(15, 0, 0, 1), "backdoor");
        yield return L.UsermodAddToGroup(T(15, 1), "backdoor", "sudo", pid: 6002);
        yield return L.Syslog(T(15, 1, 0, 1), "usermod", 6002, "add 'backdoor' to shadow group 'sudo'");
        // A departing contractor's account removed.
        yield return L.Syslog(T(16, 30), "userdel", 6101, "delete 'contractor' from group 'developers'");
        yield return L.UserDeleted(T(16, 30, 0, 1), "contractor");
        yield return L.Syslog(T(16, 30, 0, 2), "userdel", 6101, "removed group 'contractor' owned by 'contractor'");
        // deploy's key used at night.
        yield return L.Accepted(T(23, 10), "198.51.100.30", "deploy", method: "publickey", pid: 3800);
    }

    private static IEnumerable<string> KernLog()
    {
        yield return L.Syslog(T(8, 0), "kernel", null, "[ 3120.553211] EXT4-fs (dm-0): re-mounted. Quota mode: none.");
        yield return L.KernelBacklogExceeded(T(16, 50));
        yield return L.KernelBacklogExceeded(T(16, 50, 1));
        yield return L.KernelAuditLost(T(16, 50, 2), 57);
    }

    private static List<string> AuditLog()
    {
        // (time, records for a serial): written in time order with rising serials, as auditd writes them.
        var events = new List<(DateTimeOffset At, Func<DateTimeOffset, long, IEnumerable<string>> Records)>
        {
            // ---- ordinary records
            (T(0, 0, 5), (t, n) => [L.AuditDaemonStart(t, n, ok: true)]),
            (T(9, 0, 0), (t, n) => [L.AuditSshAuth(t, n, "alice", "198.51.100.20", ok: false)]),
            (T(9, 0, 8), (t, n) => [L.AuditSshAuth(t, n, "alice", "198.51.100.20", ok: true)]),
            (T(9, 5), (t, n) => [L.Audit(t, n, "USER_CMD", "pid=5101 uid=1000 auid=1000 ses=41 subj=unconfined msg='cwd=\"/home/alice\" cmd=73797374656D63746C2072657374617274206E67696E78 exe=\"/usr/bin/sudo\" terminal=pts/0 res=success'\u001dUID=\"alice\" AUID=\"alice\"")]),

            // ---- attacks
            (T(15, 0, 0, 1), (t, n) => [L.AuditAddUser(t, n, "backdoor")]),
            (T(16, 30, 0, 1), (t, n) => [L.AuditDelUser(t, n, "contractor")]),
            // auditctl -D clears the rules, auditctl -e 0 disables auditing, then auditd is stopped.
            (T(16, 55), (t, n) => [L.AuditConfigChange(t, n, "remove_rule", "identity")]),
            (T(16, 55), (t, n) => [L.AuditConfigChange(t, n, "remove_rule", "cui")]),
            (T(16, 55), (t, n) => [L.AuditConfigChange(t, n, "remove_rule", "exec")]),
            (T(16, 55, 10), (t, n) => [L.AuditDisable(t, n)]),
            (T(17, 0), (t, n) => [L.AuditDaemonEnd(t, n)]),
        };
        for (var h = 0; h < 24; h++)
            events.Add((T(h, 17, 1, 500), (t, n) => L.AuditExecve(t, n, "/usr/bin/run-parts", CronProctitle)));
        for (var i = 0; i < 5; i++)
            events.Add((T(10, 15, i * 10 + 2), (t, n) => [L.AuditSshAuth(t, n, "root", "203.0.113.7", ok: false)]));

        long serial = 7000;
        return events.OrderBy(e => e.At).SelectMany(e => e.Records(e.At, ++serial)).ToList();
    }

    // "/bin/sh -c cd / && run-parts --report /etc/cron.hourly", hex as auditd writes a proctitle with spaces.
    private const string CronProctitle = "2F62696E2F7368002D63006364202F2026262072756E2D7061727473202D2D7265706F7274202F6574632F63726F6E2E686F75726C79";

    private static IEnumerable<string> AccessLog()
    {
        // ---- ordinary use of eqmon
        const string office = "198.51.100.20";
        yield return L.Access(T(9, 1), office, "/", 200, bytes: 5120);
        yield return L.Access(T(9, 1, 1), office, "/static/app.3f9c1.js", 200, bytes: 84211, referrer: "https://eqmon.example/");
        yield return L.Access(T(9, 1, 1), office, "/favicon.ico", 404, bytes: 153, referrer: "https://eqmon.example/");
        yield return L.Access(T(9, 1, 5), office, "/api/login", 401, method: "POST", bytes: 45, referrer: "https://eqmon.example/");
        yield return L.Access(T(9, 1, 9), office, "/api/login", 200, method: "POST", bytes: 310, referrer: "https://eqmon.example/");
        yield return L.Access(T(9, 1, 12), office, "/api/equipment?page=2&sort=name", 200, bytes: 20480, referrer: "https://eqmon.example/");
        yield return L.Access(T(9, 2), office, "/api/equipment/42/readings?from=2026-03-10T00:00:00Z", 200, bytes: 4096, referrer: "https://eqmon.example/");

        // ---- attacks
        yield return L.Access(T(10, 30), "198.51.100.66", "/api/equipment?id=1%27%20OR%201=1--", 500, userAgent: "curl/8.5.0");
        yield return L.Access(T(10, 30, 3), "198.51.100.66", "/static/../../../../etc/passwd", 400, userAgent: "curl/8.5.0");
        yield return L.Access(T(10, 30, 7), "198.51.100.66", "/search?q=%3Cscript%3Ealert(document.cookie)%3C/script%3E", 200, userAgent: "curl/8.5.0");
        yield return L.Access(T(11, 30), "203.0.113.120", "/", 200, userAgent: "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:Port Check)");
        yield return L.Access(T(11, 30, 1), "203.0.113.120", "/robots.txt", 404, userAgent: "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000003)");
        string[] probed = ["/admin", "/admin.php", "/wp-login.php", "/.env", "/.git/config", "/backup.zip", "/phpmyadmin/", "/server-status", "/config.json",
            "/api/v1/users", "/console", "/actuator/health", "/.aws/credentials", "/db.sql", "/old/", "/test.php", "/info.php", "/login.jsp", "/manager/html",
            "/cgi-bin/status", "/xmlrpc.php", "/.DS_Store", "/vendor/phpunit/", "/solr/", "/jenkins/"];
        for (var i = 0; i < probed.Length; i++)
            yield return L.Access(T(12, 30, i * 2), "203.0.113.121", probed[i], 404, userAgent: "Go-http-client/1.1", bytes: 153);
    }

    private string WriteLogs()
    {
        File.WriteAllLines(_dir.File("auth.log"), AuthLog().OrderBy(Stamp, StringComparer.Ordinal));
        File.WriteAllLines(_dir.File("kern.log"), KernLog());
        File.WriteAllLines(_dir.File("audit.log"), AuditLog());
        File.WriteAllLines(_dir.File("access.log"), AccessLog());
        var config = _dir.File("blueteam.yaml");
        // Working hours and the zone they are read in are pinned here, so the test never depends on the machine's zone.
        File.WriteAllText(config, """
            host: eqmon-web01
            correlation:
              rules:
                off_hours_login: {hours: ["07:00-19:00"], days: [mon, tue, wed, thu, fri], time_zone: UTC}
                audit_log_tampered: {time_zone: UTC}
            """);
        return config;
    }

    // auth.log lines are written in time order, as syslog writes them: sort on the RFC 3339 stamp.
    private static string Stamp(string line) => line[..line.IndexOf(' ')];

    private async Task<List<JsonElement>> ScanAsync(string config)
    {
        var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(
            ["--config", config, "scan", "--emit", "incidents", "--format", "jsonl",
             _dir.File("auth.log"), _dir.File("kern.log"), _dir.File("audit.log"), _dir.File("access.log")],
            timeout: TimeSpan.FromSeconds(120));
        Assert.True(exit == 0, $"exit {exit}\n{stderr}");
        return [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }

    private static string? Str(JsonElement e, params string[] path)
    {
        foreach (var p in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(p, out e)) return null;
        }
        return e.ValueKind == JsonValueKind.String ? e.GetString() : null;
    }

    /// <summary>The keys an incident fired on, as the incident shows them (source, user or account, host for host-wide rules).</summary>
    private static string KeyOf(JsonElement i)
    {
        var rule = Str(i, "rule", "name")!;
        return rule switch
        {
            "ssh_brute_force" or "password_spray" or "root_login" or "web_attack" or "web_scanner" => Str(i, "source", "ip")!,
            "login_after_failures" or "off_hours_login" or "new_login_source" => $"{Str(i, "source", "ip")} {Str(i, "user", "name")}",
            "sudo_not_allowed" or "sudo_auth_failure" => Str(i, "user", "name")!,
            "privileged_group_change" or "account_created" or "account_deleted" => Str(i, "user", "target", "name")!,
            _ => Str(i, "host", "hostname")!,
        };
    }

    [Fact]
    public async Task Scan_MixedLogsOfADay_EachAttackReportedOnceWithItsRuleSeverityAndKeys_NothingForTheNoise()
    {
        var incidents = await ScanAsync(WriteLogs());

        var found = incidents.Select(i => (Rule: Str(i, "rule", "name")!, Key: KeyOf(i), Severity: Str(i, "severity")!)).ToList();
        Assert.Equal(Expected.OrderBy(x => x.Rule).ThenBy(x => x.Key), found.OrderBy(x => x.Rule).ThenBy(x => x.Key));
        Assert.Equal(incidents.Count, incidents.Select(i => Str(i, "fingerprint")).Distinct().Count());

        JsonElement Of(string rule, string key) => incidents.Single(i => Str(i, "rule", "name") == rule && KeyOf(i) == key);
        // The counting rules of the issue: sshd's and pam_unix's lines of one attempt are one failure, a repeated line is three.
        Assert.Equal(8, Of("ssh_brute_force", "203.0.113.7").GetProperty("event_count").GetInt32());
        Assert.Equal(3, Of("sudo_auth_failure", "bob").GetProperty("event_count").GetInt32());
        // useradd's line and auditd's ADD_USER are one incident about the account; usermod's two group lines another.
        Assert.Equal(2, Of("account_created", "backdoor").GetProperty("event_count").GetInt32());
        Assert.Equal(2, Of("account_deleted", "contractor").GetProperty("event_count").GetInt32());
        Assert.Equal("backdoor added to privileged group sudo", Str(Of("privileged_group_change", "backdoor"), "title"));
        Assert.Equal(4, Of("audit_config_changed", "eqmon-web01").GetProperty("event_count").GetInt32());
        Assert.Equal(3, Of("audit_events_lost", "eqmon-web01").GetProperty("event_count").GetInt32());
        Assert.Equal(3, Of("web_attack", "198.51.100.66").GetProperty("event_count").GetInt32());
        Assert.Equal("Audit daemon stopped on eqmon-web01", Str(Of("audit_daemon_stopped", "eqmon-web01"), "title"));
        Assert.Equal("Web scanning from 203.0.113.121", Str(Of("web_scanner", "203.0.113.121"), "title"));
        Assert.Contains("Nikto", Str(Of("web_scanner", "203.0.113.120"), "title"));
        Assert.Equal("2026-03-10T23:10:00+00:00", Of("off_hours_login", "198.51.100.30 deploy").GetProperty("first_seen").GetString());
        Assert.Equal("2026-03-10T12:00:00+00:00", Of("login_after_failures", "198.51.100.77 jenkins").GetProperty("first_seen").GetString());
    }

    [Fact]
    public async Task Scan_SameLogsTwice_SameFingerprints()
    {
        var config = WriteLogs();
        var first = (await ScanAsync(config)).Select(i => Str(i, "fingerprint")).ToList();
        var second = (await ScanAsync(config)).Select(i => Str(i, "fingerprint")).ToList();
        Assert.Equal(Expected.Length, first.Count);
        Assert.Equal(first, second);
    }

    [Fact]
    public async Task Scan_WorkingHoursFromConfig_DecideTheOffHoursLogin()
    {
        // The same day read with working hours until midnight: the 23:10 login is ordinary, and nothing else changes.
        var config = WriteLogs();
        File.WriteAllText(config, File.ReadAllText(config).Replace("07:00-19:00", "07:00-24:00", StringComparison.Ordinal));
        var incidents = await ScanAsync(config);
        Assert.DoesNotContain(incidents, i => Str(i, "rule", "name") == "off_hours_login");
        Assert.Equal(Expected.Length - 1, incidents.Count);
    }
}
