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
        ParserRegistry.CreateDefault().Parse(new RawLine { Collector = "auth_log", Type = CollectorType.Auth, Path = "/var/log/auth.log", Text = text, Kind = kind },
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

    // Rules whose parsers are being written: hand-built events with the planned vocabulary.
    private static readonly DateTimeOffset At = Day + T0;

    [Fact]
    public void SudoNotAllowed_NotInSudoersReason_Fires()
    {
        var rule = Rules.Build("sudo_not_allowed");
        Assert.Empty(rule.Evaluate(Rules.Event(At, "sudo_command", "success", "alice")));
        Assert.Single(rule.Evaluate(Rules.Event(At, "sudo_command", "failure", "mallory", reason: "user NOT in sudoers")));
    }

    [Theory]
    [InlineData(2, false)]
    [InlineData(3, true)]
    public void SudoAuthFailure_SudoAndSuFailuresByOneUser_FiresAtThree(int count, bool fires)
    {
        var events = Enumerable.Range(0, count).Select(i => Rules.Event(At + TimeSpan.FromSeconds(i * 30), i % 2 == 0 ? "sudo_auth" : "su_login", "failure", "alice"));
        Assert.Equal(fires, Rules.Run(Rules.Build("sudo_auth_failure"), events).Count == 1);
    }

    [Fact]
    public void AccountCreatedAndDeleted_EachFireOnTheirAction()
    {
        Assert.Single(Rules.Build("account_created").Evaluate(Rules.Event(At, "user_created", user: "backdoor")));
        Assert.Empty(Rules.Build("account_created").Evaluate(Rules.Event(At, "user_deleted", user: "backdoor")));
        Assert.Single(Rules.Build("account_deleted").Evaluate(Rules.Event(At, "user_deleted", user: "backdoor")));
    }

    private static SecurityEvent GroupAdd(string user, string group) =>
        Rules.Event(At, "group_member_added", user: user, labels: new Dictionary<string, string> { ["group.name"] = group });

    [Fact]
    public void PrivilegedGroupChange_SudoYesUsersNo_ConfiguredGroupYes()
    {
        Assert.Single(Rules.Build("privileged_group_change").Evaluate(GroupAdd("alice", "sudo")));
        Assert.Empty(Rules.Build("privileged_group_change").Evaluate(GroupAdd("alice", "users")));
        var withDocker = Rules.Build("privileged_group_change", new RuleOptions { Groups = ["docker"] });
        Assert.Equal("alice added to privileged group docker", Assert.Single(withDocker.Evaluate(GroupAdd("alice", "docker"))).Title);
        Assert.Single(withDocker.Evaluate(GroupAdd("bob", "wheel")));
    }

    [Theory]
    [InlineData("audit_daemon_stopped", "audit_daemon_abort")]
    [InlineData("audit_daemon_stopped", "audit_daemon_end")]
    [InlineData("audit_config_changed", "audit_config_change")]
    [InlineData("audit_events_lost", "audit_lost")]
    [InlineData("audit_events_lost", "audit_backlog_exceeded")]
    public void AuditRules_TheirAction_Fires(string rule, string action)
    {
        Assert.Single(Rules.Build(rule).Evaluate(Rules.Event(At, action)));
        Assert.Empty(Rules.Build(rule).Evaluate(Rules.Event(At, "ssh_login", "failure")));
    }

    [Theory]
    [InlineData("/index.php?id=1%27%20OR%201=1--", true)]
    [InlineData("/search?q=1 UNION SELECT password FROM users", true)]
    [InlineData("/static/../../../etc/passwd", true)]
    [InlineData("/download?f=%2e%2e%2f%2e%2e%2fetc%2fshadow", true)]
    [InlineData("/comment?text=<script>alert(1)</script>", true)]
    [InlineData("/ping?host=127.0.0.1;cat /etc/hosts", true)]
    [InlineData("/api/equipment/42/status?since=2026-03-10", false)]
    [InlineData("/docs/selection-guide.html", false)]
    public void WebAttack_Url_FiresOnAttackShapes(string url, bool fires)
    {
        Assert.Equal(fires, Rules.Build("web_attack").Evaluate(Rules.Web(At, "203.0.113.80", url, 200)).Count == 1);
    }

    [Fact]
    public void WebScanner_ScannerUserAgent_Fires()
    {
        var incident = Assert.Single(Rules.Build("web_scanner").Evaluate(Rules.Web(At, "203.0.113.80", "/", 200, "Mozilla/5.00 (Nikto/2.1.6)")));
        Assert.Contains("Nikto", incident.Title);
    }

    [Theory]
    [InlineData(19, false)]
    [InlineData(20, true)]
    public void WebScanner_Distinct4xxPaths_FiresAtTwenty(int paths, bool fires)
    {
        var events = Enumerable.Range(0, paths).Select(i => Rules.Web(At + TimeSpan.FromSeconds(i * 2), "203.0.113.80", $"/admin{i}.php", 404))
            .Append(Rules.Web(At, "203.0.113.80", "/index.html", 200));
        Assert.Equal(fires, Rules.Run(Rules.Build("web_scanner"), events).Count > 0);
    }

    [Fact]
    public void Replay_SameEventsTwice_SameFingerprintsForEveryRule()
    {
        var events = new List<SecurityEvent>();
        events.AddRange(Enumerable.Range(0, 6).Select(i => Failed(i * 10, "203.0.113.7", $"u{i}")));
        events.Add(Accepted(T0 + TimeSpan.FromSeconds(70), "203.0.113.7", "root"));
        events.Add(Accepted(T0 + TimeSpan.FromHours(15), "198.51.100.2", "deploy"));
        events.Add(Rules.Web(At, "203.0.113.80", "/../../etc/passwd", 404, "sqlmap/1.7"));

        string[] Fingerprints()
        {
            var rules = RuleCatalog.Build(new CorrelationOptions { Rules = new() { ["off_hours_login"] = new RuleOptions { TimeZone = "UTC" } } }, Rules.Host);
            var correlator = new Correlator(rules);
            return [.. events.SelectMany(correlator.Process).Select(i => i.Fingerprint).Distinct()];
        }

        var first = Fingerprints();
        Assert.True(first.Length >= 6, string.Join(",", first));
        Assert.Equal(first, Fingerprints());
    }
}
