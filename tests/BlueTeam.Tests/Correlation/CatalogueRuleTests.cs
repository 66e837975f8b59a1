using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Correlation;
using BlueTeam.Parsing;
using BlueTeam.Parsing.Auth;
using BlueTeam.Sources;
using BlueTeam.Tests.Parsing;
using Microsoft.Extensions.Time.Testing;

namespace BlueTeam.Tests.Correlation;

/// <summary>Boundary tests for every catalogue rule: through the parsers wherever a parser exists today.</summary>
public class CatalogueRuleTests
{
    private static readonly TimeSpan T0 = new(8, 30, 0);
    private static readonly DateTimeOffset Day = new(2026, 3, 10, 0, 0, 0, TimeSpan.Zero); // a Tuesday
    private static readonly AuthLogParser Parser = new();

    private static SecurityEvent Line(string line) => Parser.Parse(AuthLines.Line(line), AuthLines.Context) ?? throw new InvalidOperationException(line);
    private static SecurityEvent Failed(int sec, string ip, string user = "root") => Line(AuthLines.FailedPassword(T0 + TimeSpan.FromSeconds(sec), ip, user));
    private static SecurityEvent Accepted(TimeSpan at, string ip, string user) => Line(AuthLines.Sshd(at, $"Accepted password for {user} from {ip} port 40000 ssh2"));

    // password_spray
    [Theory]
    [InlineData(4, 0)]
    [InlineData(5, 1)]
    public void PasswordSpray_DistinctUsersFromOneSource_FiresAtThreshold(int users, int expected)
    {
        var events = Enumerable.Range(0, users).SelectMany(u => new[] { Failed(u * 20, "203.0.113.9", $"user{u}"), Failed(u * 20 + 1, "203.0.113.9", $"user{u}") });
        var incidents = Rules.Run(Rules.Build("password_spray"), events);
        Assert.Equal(expected, incidents.Select(i => i.Fingerprint).Distinct().Count());
        if (expected > 0) Assert.Equal("Password spray from 203.0.113.9", incidents[^1].Title);
    }

    [Fact]
    public void PasswordSpray_SameUserManyTimes_DoesNotFire()
    {
        Assert.Empty(Rules.Run(Rules.Build("password_spray"), Enumerable.Range(0, 50).Select(i => Failed(i, "203.0.113.9", "root"))));
    }

    // login_after_failures
    [Theory]
    [InlineData(4, false)]
    [InlineData(5, true)]
    public void LoginAfterFailures_SuccessAfterFailures_FiresAtThreshold(int failures, bool fires)
    {
        var events = Enumerable.Range(0, failures).Select(i => Failed(i * 10, "203.0.113.7"))
            .Append(Accepted(T0 + TimeSpan.FromSeconds(100), "203.0.113.7", "deploy"));
        var incidents = Rules.Run(Rules.Build("login_after_failures"), events);
        Assert.Equal(fires, incidents.Count == 1);
        if (fires)
        {
            Assert.Equal("deploy", incidents[0].User?.Name);
            Assert.Equal(Severity.Critical, incidents[0].Severity);
            Assert.Equal(Day + T0, incidents[0].FirstSeen);
        }
    }

    [Fact]
    public void LoginAfterFailures_FailuresOlderThanWindow_DoesNotFire()
    {
        var events = Enumerable.Range(0, 5).Select(i => Failed(i, "203.0.113.7")).Append(Accepted(T0 + TimeSpan.FromSeconds(700), "203.0.113.7", "deploy"));
        Assert.Empty(Rules.Run(Rules.Build("login_after_failures"), events));
    }

    // root_login
    [Fact]
    public void RootLogin_AcceptedRootVersusUser_OnlyRootFiresAndRepeatsUpdate()
    {
        var rule = Rules.Build("root_login");
        Assert.Empty(rule.Evaluate(Accepted(T0, "198.51.100.2", "deploy")));
        var first = Assert.Single(rule.Evaluate(Accepted(T0, "198.51.100.2", "root")));
        var second = Assert.Single(rule.Evaluate(Accepted(T0 + TimeSpan.FromMinutes(5), "198.51.100.2", "root")));
        Assert.Equal(first.Fingerprint, second.Fingerprint);
        Assert.Equal(2, second.EventCount);
        Assert.Equal("Direct root login from 198.51.100.2", first.Title);
    }

    // off_hours_login
    [Theory]
    [InlineData(6, 59, true)]
    [InlineData(7, 0, false)]
    [InlineData(18, 59, false)]
    [InlineData(19, 0, true)]
    public void OffHoursLogin_AroundWorkingHoursEdges_FiresOnlyOutside(int hour, int minute, bool fires)
    {
        var rule = Rules.Build("off_hours_login", new RuleOptions { TimeZone = "UTC" });
        Assert.Equal(fires, rule.Evaluate(Accepted(new TimeSpan(hour, minute, 0), "198.51.100.2", "alice")).Count == 1);
    }

    [Fact]
    public void OffHoursLogin_TimeZoneAware_NineInTheMorningBerlinIsWorkingHours()
    {
        // 08:30 UTC in March = 09:30 in Berlin (CET); 05:30 UTC = 06:30 Berlin, before hours.
        var rule = Rules.Build("off_hours_login", new RuleOptions { TimeZone = "Europe/Berlin" });
        Assert.Empty(rule.Evaluate(Accepted(new TimeSpan(8, 30, 0), "198.51.100.2", "alice")));
        Assert.Single(rule.Evaluate(Accepted(new TimeSpan(5, 30, 0), "198.51.100.2", "alice")));
    }

    [Fact]
    public void OffHoursLogin_Weekend_Fires()
    {
        var rule = Rules.Build("off_hours_login", new RuleOptions { TimeZone = "UTC" });
        var saturday = Line("2026-03-14T10:00:00Z eqmon-web01 sshd[1]: Accepted password for alice from 198.51.100.2 port 4000 ssh2");
        Assert.Single(rule.Evaluate(saturday));
    }

    // new_login_source
    [Fact]
    public void NewLoginSource_SecondAddressOfKnownUser_FiresOnceFirstAddressLearned()
    {
        var rule = Rules.Build("new_login_source");
        Assert.Empty(rule.Evaluate(Accepted(T0, "198.51.100.2", "alice")));                            // first ever: learned
        Assert.Empty(rule.Evaluate(Accepted(T0 + TimeSpan.FromHours(2), "198.51.100.2", "alice")));   // known
        var incident = Assert.Single(rule.Evaluate(Accepted(T0 + TimeSpan.FromHours(3), "203.0.113.50", "alice")));
        Assert.Equal("alice", incident.User?.Name);
        Assert.Equal("203.0.113.50", incident.Source?.Ip);
        Assert.Equal(Severity.Low, incident.Severity);
    }

    [Fact]
    public void NewLoginSource_HistoryInSharedStore_SurvivesARebuiltRule()
    {
        var store = new InMemoryFirstSeenStore();
        var context = new RuleContext { Host = Rules.Host, FirstSeen = store };
        Rules.Build("new_login_source", context: context).Evaluate(Accepted(T0, "198.51.100.2", "alice"));
        Rules.Build("new_login_source", context: context).Evaluate(Accepted(T0, "203.0.113.50", "alice"));
        // After "a restart", both addresses are known.
        var restarted = Rules.Build("new_login_source", context: context);
        Assert.Empty(restarted.Evaluate(Accepted(T0 + TimeSpan.FromDays(1), "203.0.113.50", "alice")));
    }

    // collector_failure and audit_log_tampered, through the parser registry as the tailer hands them over
    private static SecurityEvent Note(RawLineKind kind, string text, DateTimeOffset now) =>
        ParserRegistry.CreateDefault().Parse(new RawLine { Collector = "auth_log", Type = "auth", Path = "/var/log/auth.log", Text = text, Kind = kind },
            new ParseContext { Now = now, DefaultHost = "eqmon-web01", TimeZone = TimeZoneInfo.Utc })!;

    [Fact]
    public void CollectorFailure_CollectorErrorEvent_FiresAndRepeatsUpdateOneIncident()
    {
        var rule = Rules.Build("collector_failure");
        var first = Assert.Single(rule.Evaluate(Note(RawLineKind.CollectorError, "permission denied", Day + T0)));
        var again = Assert.Single(rule.Evaluate(Note(RawLineKind.CollectorError, "permission denied", Day + T0 + TimeSpan.FromMinutes(1))));
        Assert.Equal(first.Fingerprint, again.Fingerprint);
        Assert.Equal("Collector auth_log cannot read /var/log/auth.log", first.Title);
        Assert.Empty(rule.Evaluate(Note(RawLineKind.LogTruncated, "shrank", Day + T0)));
    }

    [Theory]
    [InlineData(3, 0, true)]
    [InlineData(0, 10, false)]
    [InlineData(6, 30, false)]
    [InlineData(7, 0, true)]
    public void AuditLogTampered_TruncationOutsideRotationHours_Fires(int hour, int minute, bool fires)
    {
        var rule = Rules.Build("audit_log_tampered", new RuleOptions { TimeZone = "UTC" });
        Assert.Equal(fires, rule.Evaluate(Note(RawLineKind.LogTruncated, "file shrank", Day + new TimeSpan(hour, minute, 0))).Count == 1);
    }

    // log_source_silent: wall-clock, driven by a fake clock
    [Fact]
    public void LogSourceSilent_SilentPastThreshold_FiresOnceOnTick()
    {
        var clock = new FakeTimeProvider(Day);
        var rule = (ITickingRule)Rules.Build("log_source_silent", new RuleOptions { SilentSec = 600 },
            new RuleContext { Host = Rules.Host, Time = clock, ExpectedSources = ["auth_log"] });
        ((IRule)rule).Evaluate(Failed(0, "203.0.113.7"));
        clock.Advance(TimeSpan.FromSeconds(600));
        Assert.Empty(rule.Tick(clock.GetUtcNow()));                 // exactly the threshold: not yet
        clock.Advance(TimeSpan.FromSeconds(1));
        var incident = Assert.Single(rule.Tick(clock.GetUtcNow()));
        Assert.Equal("No events from collector auth_log", incident.Title);
        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Empty(rule.Tick(clock.GetUtcNow()));                 // reported once per silence
        ((IRule)rule).Evaluate(Failed(1, "203.0.113.7"));            // heard again: the silence is over
        clock.Advance(TimeSpan.FromSeconds(601));
        Assert.NotEqual(incident.Fingerprint, Assert.Single(rule.Tick(clock.GetUtcNow())).Fingerprint);
    }

    [Fact]
    public void LogSourceSilent_ExpectedCollectorNeverHeard_FiresAndPerCollectorThresholdApplies()
    {
        var clock = new FakeTimeProvider(Day);
        var rule = (ITickingRule)Rules.Build("log_source_silent", new RuleOptions { Collectors = new() { ["web_access"] = 60 } },
            new RuleContext { Host = Rules.Host, Time = clock, ExpectedSources = ["auth_log", "web_access"] });
        clock.Advance(TimeSpan.FromSeconds(61));
        var incident = Assert.Single(rule.Tick(clock.GetUtcNow()));
        Assert.Contains("web_access", incident.Title);
    }

    // ssh_brute_force: the counting rules of the issue (repeats count N, one family per attempt)
    private static readonly DateTimeOffset At = Day + T0;
    private static DateTimeOffset Sec(int s) => At + TimeSpan.FromSeconds(s);

    [Theory]
    [InlineData(3, false)]
    [InlineData(4, true)]
    public void SshBruteForce_MessageRepeatedNTimes_CountsAsNFailures(int repeated, bool fires)
    {
        var events = SecurityLogs.Auth([
            SecurityLogs.FailedPassword(Sec(0), "203.0.113.7"),
            SecurityLogs.RepeatedFailedPassword(Sec(40), repeated, "203.0.113.7"),
        ]);
        var incidents = Rules.Run(Rules.Build("ssh_brute_force"), events);
        Assert.Equal(fires, incidents.Count == 1);
        if (fires) Assert.Equal(1 + repeated, incidents[0].EventCount);
    }

    [Theory]
    [InlineData(4, false)]
    [InlineData(5, true)]
    public void SshBruteForce_PamAndSshdLinesOfOneAttempt_CountOnce(int attempts, bool fires)
    {
        var lines = Enumerable.Range(0, attempts).SelectMany(i => new[]
        {
            SecurityLogs.PamSshdFailure(Sec(i * 10), "203.0.113.7", pid: 3021 + i),
            SecurityLogs.FailedPassword(Sec(i * 10 + 2), "203.0.113.7", pid: 3021 + i),
        });
        var incidents = Rules.Run(Rules.Build("ssh_brute_force"), SecurityLogs.Auth(lines));
        Assert.Equal(fires, incidents.Count == 1);
        if (fires) Assert.Equal(5, incidents[0].EventCount);
    }

    [Theory]
    [InlineData(3, false)]
    [InlineData(4, true)]
    public void LoginAfterFailures_RepeatedFailureLine_CountsItsRepeats(int repeated, bool fires)
    {
        var events = SecurityLogs.Auth([
            SecurityLogs.FailedPassword(Sec(0), "203.0.113.7"),
            SecurityLogs.RepeatedFailedPassword(Sec(30), repeated, "203.0.113.7"),
            SecurityLogs.Accepted(Sec(60), "203.0.113.7", "root"),
        ]);
        Assert.Equal(fires, Rules.Run(Rules.Build("login_after_failures"), events).Count == 1);
    }

    // sudo_not_allowed
    [Fact]
    public void SudoNotAllowed_NotInSudoers_FiresKeyedOnTheUser()
    {
        var rule = Rules.Build("sudo_not_allowed");
        var incident = Assert.Single(Rules.Run(rule, SecurityLogs.Auth([SecurityLogs.SudoNotInSudoers(At, "mallory", "/bin/cat /etc/shadow")])));
        Assert.Equal("mallory is not allowed to use sudo", incident.Title);
        Assert.Equal("mallory", incident.User?.Name);
        Assert.Equal(Severity.High, incident.Severity);
        Assert.Contains("user NOT in sudoers", incident.Description);
        Assert.Contains("/bin/cat /etc/shadow", incident.Description);
    }

    [Fact]
    public void SudoNotAllowed_AllowedCommandAndPasswordRequired_DoNotFire()
    {
        // threshold 1: the near misses (a permitted sudo; sudo -n in a script answered "a password is required") raise nothing.
        var events = SecurityLogs.Auth([
            SecurityLogs.SudoCommand(At, "alice", "/usr/bin/systemctl restart nginx"),
            SecurityLogs.SudoPasswordRequired(Sec(5), "deploy", "/usr/bin/systemctl reload eqmon"),
        ]);
        Assert.Empty(Rules.Run(Rules.Build("sudo_not_allowed"), events));
    }

    // sudo_auth_failure
    [Theory]
    [InlineData(2, false)]
    [InlineData(3, true)]
    public void SudoAuthFailure_SudoAndSuFailuresByOneUser_FiresAtThree(int failures, bool fires)
    {
        string[] lines =
        [
            SecurityLogs.SudoIncorrectPasswords(Sec(0), "alice", 1),
            SecurityLogs.SuFailed(Sec(30), "alice"),
            SecurityLogs.SudoIncorrectPasswords(Sec(60), "alice", 1),
        ];
        var incidents = Rules.Run(Rules.Build("sudo_auth_failure"), SecurityLogs.Auth(lines.Take(failures)));
        Assert.Equal(fires, incidents.Count == 1);
        if (fires)
        {
            Assert.Equal("Repeated sudo/su authentication failures by alice", incidents[0].Title);
            Assert.Equal(Severity.Medium, incidents[0].Severity);
        }
    }

    [Theory]
    [InlineData(2, false)]
    [InlineData(3, true)]
    public void SudoAuthFailure_IncorrectPasswordAttempts_CountsEachAttempt(int attempts, bool fires)
    {
        Assert.Equal(fires, Rules.Run(Rules.Build("sudo_auth_failure"), SecurityLogs.Auth([SecurityLogs.SudoIncorrectPasswords(At, "alice", attempts)])).Count == 1);
    }

    [Theory]
    [InlineData(2, false)]
    [InlineData(3, true)]
    public void SudoAuthFailure_MessageRepeated_CountsTheRepeats(int repeated, bool fires)
    {
        var line = SecurityLogs.Syslog(At, "su", 5120, $"message repeated {repeated} times: [ FAILED SU (to root) alice on pts/1]");
        Assert.Equal(fires, Rules.Run(Rules.Build("sudo_auth_failure"), SecurityLogs.Auth([line])).Count == 1);
    }

    [Fact]
    public void SudoAuthFailure_PamLinesOfTheSameAttempts_AreNotCountedAgain()
    {
        // Two wrong passwords: pam_unix logs each, sudo logs "2 incorrect password attempts". Two failures, not four.
        var events = SecurityLogs.Auth([
            SecurityLogs.PamSudoFailure(Sec(0), "alice"),
            SecurityLogs.PamSudoFailure(Sec(4), "alice"),
            SecurityLogs.SudoIncorrectPasswords(Sec(6), "alice", 2),
        ]);
        Assert.Empty(Rules.Run(Rules.Build("sudo_auth_failure"), events));
    }

    // privileged_group_change
    [Fact]
    public void PrivilegedGroupChange_UsermodToSudo_FiresKeyedOnMemberAndGroup()
    {
        var incident = Assert.Single(Rules.Run(Rules.Build("privileged_group_change"), SecurityLogs.Auth([SecurityLogs.UsermodAddToGroup(At, "backdoor", "sudo")])));
        Assert.Equal("backdoor added to privileged group sudo", incident.Title);
        Assert.Equal("backdoor", incident.User?.Target?.Name);
        Assert.Equal(SecurityIncident.ComputeFingerprint("BT-PRIV-003", At, Rules.Host, "backdoor", "sudo"), incident.Fingerprint);
    }

    [Fact]
    public void PrivilegedGroupChange_GpasswdByAnAdmin_KeysOnTheMemberNotTheActor()
    {
        var incident = Assert.Single(Rules.Run(Rules.Build("privileged_group_change"), SecurityLogs.Auth([SecurityLogs.GpasswdAdd(At, "mallory", "alice", "wheel")])));
        Assert.Equal("mallory added to privileged group wheel", incident.Title);
        Assert.Equal("alice", incident.User?.Name);
        Assert.Equal("mallory", incident.User?.Target?.Name);
    }

    [Fact]
    public void PrivilegedGroupChange_OrdinaryGroupNo_ConfiguredGroupYes()
    {
        var events = SecurityLogs.Auth([SecurityLogs.UsermodAddToGroup(At, "alice", "users"), SecurityLogs.UsermodAddToGroup(Sec(1), "alice", "docker")]);
        Assert.Empty(Rules.Run(Rules.Build("privileged_group_change"), events));
        var withDocker = Rules.Build("privileged_group_change", new RuleOptions { Groups = ["docker"] });
        Assert.Equal("alice added to privileged group docker", Assert.Single(Rules.Run(withDocker, events)).Title);
    }

    // account_created / account_deleted: auth.log and audit.log
    [Fact]
    public void AccountCreated_UseraddLineAndAuditdAddUser_OneIncidentForTheAccount()
    {
        var events = SecurityLogs.Auth([SecurityLogs.UserAdded(At, "backdoor")])
            .Concat(SecurityLogs.AuditLog([SecurityLogs.AuditAddUser(At, 7001, "backdoor")]));
        var incidents = Rules.Run(Rules.Build("account_created"), events);
        Assert.Equal(2, incidents.Count);
        Assert.Single(incidents.Select(i => i.Fingerprint).Distinct());
        Assert.Equal(2, incidents[^1].EventCount);
        Assert.Equal("Account backdoor created", incidents[^1].Title);
        Assert.Equal("backdoor", incidents[^1].User?.Target?.Name);
        Assert.Equal(Severity.Medium, incidents[^1].Severity);
    }

    [Fact]
    public void AccountCreated_AuditdAlone_Fires()
    {
        var incident = Assert.Single(Rules.Run(Rules.Build("account_created"), SecurityLogs.AuditLog([SecurityLogs.AuditAddUser(At, 7001, "svc-backup")])));
        Assert.Equal("Account svc-backup created", incident.Title);
        Assert.Equal(SecurityLogs.Host, incident.Host?.Hostname);
    }

    [Fact]
    public void AccountCreated_FailedUseraddAndOtherAccountChanges_DoNotFire()
    {
        var events = SecurityLogs.Auth([
            SecurityLogs.Syslog(At, "useradd", 6001, "failed adding user 'backdoor', exit code: 9"),
            SecurityLogs.UserDeleted(Sec(1), "olduser"),
            SecurityLogs.Syslog(Sec(2), "groupadd", 6002, "new group: name=eqmon, GID=1010"),
        ]);
        Assert.Empty(Rules.Run(Rules.Build("account_created"), events));
    }

    [Fact]
    public void AccountDeleted_UserdelLineAndAuditdDelUser_OneIncidentEachAccount()
    {
        var events = SecurityLogs.Auth([SecurityLogs.UserDeleted(At, "alice"), SecurityLogs.UserAdded(Sec(1), "carol")])
            .Concat(SecurityLogs.AuditLog([SecurityLogs.AuditDelUser(At, 7002, "alice"), SecurityLogs.AuditDelUser(Sec(30), 7003, "bob")]));
        var incidents = Rules.Run(Rules.Build("account_deleted"), events);
        var byAccount = incidents.GroupBy(i => i.User?.Target?.Name).ToDictionary(g => g.Key!, g => g.Select(i => i.Fingerprint).Distinct().Count());
        Assert.Equal(new Dictionary<string, int> { ["alice"] = 1, ["bob"] = 1 }, byAccount);
    }

    // audit_daemon_stopped
    [Theory]
    [InlineData("end", true)]
    [InlineData("abort", true)]
    [InlineData("start_failed", true)]
    [InlineData("start_ok", false)]
    public void AuditDaemonStopped_DaemonRecords_FireOnStopAbortAndFailedStart(string record, bool fires)
    {
        var line = record switch
        {
            "end" => SecurityLogs.AuditDaemonEnd(At, 7100),
            "abort" => SecurityLogs.AuditDaemonAbort(At, 7100),
            "start_failed" => SecurityLogs.AuditDaemonStart(At, 7100, ok: false),
            _ => SecurityLogs.AuditDaemonStart(At, 7100, ok: true),
        };
        var incidents = Rules.Run(Rules.Build("audit_daemon_stopped"), SecurityLogs.AuditLog([line]));
        Assert.Equal(fires, incidents.Count == 1);
        if (!fires) return;
        Assert.Equal(Severity.Critical, incidents[0].Severity);
        Assert.Equal(SecurityLogs.Host, incidents[0].Host?.Hostname);
        Assert.Equal(record == "start_failed" ? "Audit daemon failed to start on eqmon-web01" : "Audit daemon stopped on eqmon-web01", incidents[0].Title);
    }

    // audit_config_changed
    [Fact]
    public void AuditConfigChanged_RulesClearedAndAuditingDisabled_OneIncidentForTheHost()
    {
        // auditctl -D removes every rule (one CONFIG_CHANGE each), then auditctl -e 0.
        var events = SecurityLogs.AuditLog([
            SecurityLogs.AuditConfigChange(Sec(0), 7200, "remove_rule", "cui"),
            SecurityLogs.AuditConfigChange(Sec(0), 7201, "remove_rule", "identity"),
            SecurityLogs.AuditDisable(Sec(1), 7202),
        ]);
        var incidents = Rules.Run(Rules.Build("audit_config_changed"), events);
        Assert.Single(incidents.Select(i => i.Fingerprint).Distinct());
        Assert.Equal(3, incidents[^1].EventCount);
        Assert.Equal("Audit configuration changed on eqmon-web01", incidents[^1].Title);
        Assert.Equal(Severity.High, incidents[^1].Severity);
    }

    [Fact]
    public void AuditConfigChanged_OrdinaryAuditRecords_DoNotFire()
    {
        var events = SecurityLogs.AuditLog(
            SecurityLogs.AuditExecve(At, 7300, "/usr/bin/apt-get", "6170742D676574007570646174650A"),
            [SecurityLogs.AuditSshAuth(Sec(1), 7301, "alice", "198.51.100.20", ok: true), SecurityLogs.AuditDaemonStart(Sec(2), 7302, ok: true)]);
        Assert.NotEmpty(events);
        Assert.Empty(Rules.Run(Rules.Build("audit_config_changed"), events));
    }

    // audit_events_lost: the kernel's lines
    [Fact]
    public void AuditEventsLost_BacklogExceededAndAuditLost_OneIncidentForTheHost()
    {
        var events = SecurityLogs.Auth([SecurityLogs.KernelBacklogExceeded(At), SecurityLogs.KernelAuditLost(Sec(1), 12)]);
        var incidents = Rules.Run(Rules.Build("audit_events_lost"), events);
        Assert.Equal(2, incidents.Count);
        Assert.Single(incidents.Select(i => i.Fingerprint).Distinct());
        Assert.Equal("Audit events lost on eqmon-web01", incidents[^1].Title);
        Assert.Equal(SecurityIncident.ComputeFingerprint("BT-AUDIT-004", At, Rules.Host, SecurityLogs.Host), incidents[^1].Fingerprint);
    }

    [Fact]
    public void AuditEventsLost_OtherKernelLines_DoNotFire()
    {
        var line = SecurityLogs.Syslog(At, "kernel", null, "[12345.000001] audit: type=1400 audit(1773131400.000:50): apparmor=\"STATUS\" operation=\"profile_load\"");
        var registry = BlueTeam.Parsing.ParserRegistry.CreateDefault();
        var events = registry.ParseAll(new RawLine { Collector = "kern", Type = "auth", Path = "/var/log/kern.log", Text = line }, SecurityLogs.Context).ToList();
        Assert.Empty(Rules.Run(Rules.Build("audit_events_lost"), events));
    }

    // web_attack / web_scanner: nginx access lines
    [Theory]
    [InlineData("/index.php?id=1%27%20OR%201=1--", true)]
    [InlineData("/search?q=1+UNION+SELECT+password+FROM+users", true)]
    [InlineData("/static/../../../etc/passwd", true)]
    [InlineData("/download?f=%2e%2e%2f%2e%2e%2fetc%2fshadow", true)]
    [InlineData("/comment?text=%3Cscript%3Ealert(1)%3C/script%3E", true)]
    [InlineData("/ping?host=127.0.0.1;cat%20/etc/hosts", true)]
    [InlineData("/api/equipment/42/status?since=2026-03-10", false)]
    [InlineData("/docs/selection-guide.html", false)]
    public void WebAttack_AccessLogUrl_FiresOnAttackShapes(string url, bool fires)
    {
        var incidents = Rules.Run(Rules.Build("web_attack"), SecurityLogs.AccessLog([SecurityLogs.Access(At, "203.0.113.80", url, 404)]));
        Assert.Equal(fires, incidents.Count == 1);
        if (fires)
        {
            Assert.Equal("Web attack attempt from 203.0.113.80", incidents[0].Title);
            Assert.Equal("203.0.113.80", incidents[0].Source?.Ip);
        }
    }

    [Fact]
    public void WebScanner_ScannerUserAgent_Fires()
    {
        var events = SecurityLogs.AccessLog([SecurityLogs.Access(At, "203.0.113.80", "/", 200, "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000001)")]);
        var incident = Assert.Single(Rules.Run(Rules.Build("web_scanner"), events));
        Assert.Contains("Nikto", incident.Title);
        Assert.Equal("203.0.113.80", incident.Source?.Ip);
    }

    [Theory]
    [InlineData(19, false)]
    [InlineData(20, true)]
    public void WebScanner_Distinct4xxPaths_FiresAtTwenty(int paths, bool fires)
    {
        var lines = Enumerable.Range(0, paths).Select(i => SecurityLogs.Access(Sec(i * 2), "203.0.113.80", $"/admin{i}.php", 404))
            .Append(SecurityLogs.Access(Sec(1), "203.0.113.80", "/index.html", 200));
        Assert.Equal(fires, Rules.Run(Rules.Build("web_scanner"), SecurityLogs.AccessLog(lines)).Count > 0);
    }

    [Fact]
    public void WebRules_OrdinaryBrowsing_RaiseNothing()
    {
        var lines = new[] { "/", "/login", "/api/equipment?page=2&sort=name", "/static/app.3f9c1.js", "/favicon.ico", "/api/equipment/42/readings?from=2026-03-10T00:00:00Z" }
            .Select((u, i) => SecurityLogs.Access(Sec(i), "198.51.100.20", u, u == "/favicon.ico" ? 404 : 200, referrer: "https://eqmon.example/"));
        var events = SecurityLogs.AccessLog(lines);
        Assert.Empty(Rules.Run(Rules.Build("web_attack"), events));
        Assert.Empty(Rules.Run(Rules.Build("web_scanner"), events));
    }

    // eqmon's own log: no catalogue rule reads app events, and the SSH rules must not mistake app logins for SSH logins.
    [Fact]
    public void EqmonAppFailures_DoNotCountAsSshFailures()
    {
        var events = SecurityLogs.Eqmon(Enumerable.Range(0, 10).Select(i => SecurityLogs.EqmonLogin(Sec(i), $"user{i}", "203.0.113.9", ok: false)));
        Assert.All(events, e => Assert.Equal(BlueTeam.Parsing.EventActions.AppLogin, e.Event.Action));
        Assert.Empty(Rules.Run(Rules.Build("ssh_brute_force"), events));
        Assert.Empty(Rules.Run(Rules.Build("password_spray"), events));
    }

    [Fact]
    public void Replay_SameLogsTwice_SameFingerprintsForEveryRule()
    {
        var events = new List<SecurityEvent>();
        events.AddRange(SecurityLogs.Auth(
            Enumerable.Range(0, 6).Select(i => SecurityLogs.FailedPassword(Sec(i * 10), "203.0.113.7", $"u{i}")),
            [SecurityLogs.Accepted(Sec(70), "203.0.113.7", "root"), SecurityLogs.Accepted(Sec(15 * 3600), "198.51.100.2", "deploy"),
             SecurityLogs.SudoNotInSudoers(Sec(100), "mallory", "/bin/sh"), SecurityLogs.UsermodAddToGroup(Sec(110), "backdoor", "sudo"),
             SecurityLogs.KernelBacklogExceeded(Sec(120))]));
        events.AddRange(SecurityLogs.AuditLog([SecurityLogs.AuditAddUser(Sec(105), 7001, "backdoor"), SecurityLogs.AuditDaemonEnd(Sec(200), 7002)]));
        events.AddRange(SecurityLogs.AccessLog([SecurityLogs.Access(Sec(300), "203.0.113.80", "/../../etc/passwd", 404, "sqlmap/1.7.2#stable (https://sqlmap.org)")]));

        string[] Fingerprints()
        {
            var rules = RuleCatalog.Build(new CorrelationOptions { Rules = new() { ["off_hours_login"] = new RuleOptions { TimeZone = "UTC" } } }, Rules.Host);
            var correlator = new Correlator(rules);
            return [.. events.SelectMany(correlator.Process).Select(i => i.Fingerprint).Distinct()];
        }

        var first = Fingerprints();
        Assert.True(first.Length >= 10, string.Join(",", first));
        Assert.Equal(first, Fingerprints());
    }
}
