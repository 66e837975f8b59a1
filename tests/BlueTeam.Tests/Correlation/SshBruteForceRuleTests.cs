using BlueTeam.Core.Events;
using BlueTeam.Correlation;
using BlueTeam.Parsing.Auth;
using BlueTeam.Tests.Parsing;

namespace BlueTeam.Tests.Correlation;

/// <summary>The rule fed through the real auth parser, as the pipeline feeds it.</summary>
public class SshBruteForceRuleTests
{
    private static readonly TimeSpan T0 = new(8, 30, 0);
    private static readonly DateTimeOffset Day = new(2026, 3, 10, 0, 0, 0, TimeSpan.Zero);
    private static readonly AuthLogParser Parser = new();

    private const string RuleId = "BT-AUTH-001";
    private const string RuleName = "ssh_brute_force";

    private static IRule NewRule(int threshold = 5, int windowSec = 300, int maxSources = RuleSettings.DefaultMaxKeys) =>
        Rules.Build(RuleName, new BlueTeam.Core.Config.RuleOptions { Threshold = threshold, WindowSec = windowSec, MaxKeys = maxSources });

    private static int Tracked(IRule rule) => ((IStatefulRule)rule).TrackedKeys;
    private static long Evicted(IRule rule) => ((IStatefulRule)rule).EvictedKeys;

    private static SecurityEvent Event(string line) =>
        Parser.Parse(AuthLines.Line(line), AuthLines.Context) ?? throw new InvalidOperationException($"the parser gave no event for: {line}");

    /// <summary>Every incident the rule returned, in order, for these log lines.</summary>
    private static List<SecurityIncident> Run(IRule rule, IEnumerable<string> lines) =>
        lines.SelectMany(l => rule.Evaluate(Event(l))).ToList();

    private static IEnumerable<string> Failures(string ip, int count, int everySec, int startSec = 0, string user = "root") =>
        Enumerable.Range(0, count).Select(i => AuthLines.FailedPassword(T0 + TimeSpan.FromSeconds(startSec + i * everySec), ip, user));

    [Fact]
    public void Evaluate_TwelveFailuresWithinTwoMinutes_OneIncidentUpdatedToTwelve()
    {
        var incidents = Run(NewRule(), Failures("203.0.113.7", 12, everySec: 10));

        Assert.Equal(8, incidents.Count); // opened by the 5th failure, updated by each of the 7 after it
        Assert.Single(incidents.Select(i => i.Fingerprint).Distinct());
        var last = incidents[^1];
        Assert.Equal(12, last.EventCount);
        Assert.Equal(Day + T0, last.FirstSeen);
        Assert.Equal(Day + T0 + TimeSpan.FromSeconds(110), last.LastSeen);
        Assert.Equal(SecurityIncident.ComputeFingerprint(RuleId, Day + T0, Rules.Host, "203.0.113.7"), last.Fingerprint);
        Assert.Equal("SSH brute force from 203.0.113.7", last.Title);
        Assert.Equal(Severity.High, last.Severity);
        Assert.Equal(["3.14.6", "3.14.7"], last.NistControls);
        Assert.Equal(RuleId, last.Rule.Id);
        Assert.Equal(RuleName, last.Rule.Name);
        Assert.Equal(RuleName, last.DetectedBy);
        Assert.Equal("203.0.113.7", last.Source?.Ip);
        Assert.Equal("root", last.User?.Name);
        Assert.Equal("eqmon-web01", last.Host?.Hostname);
        Assert.Equal(SecurityIncident.MaxEvidence, last.Evidence.Count);
        Assert.Equal(Day + T0, last.Evidence[0].Timestamp);
        Assert.Contains("12 failed SSH logins", last.Description);
        Assert.Contains("within 300 s", last.Description);
        Assert.Equal(Enumerable.Range(5, 8), incidents.Select(i => i.EventCount));
    }

    [Fact]
    public void Evaluate_ThresholdMinusOneFailures_RaisesNothing()
    {
        Assert.Empty(Run(NewRule(), Failures("203.0.113.7", 4, everySec: 10)));
    }

    [Fact]
    public void Evaluate_ThresholdFailures_OpensOneIncident()
    {
        var incident = Assert.Single(Run(NewRule(), Failures("203.0.113.7", 5, everySec: 30)));
        Assert.Equal(5, incident.EventCount);
        Assert.Equal(TimeSpan.FromSeconds(120), incident.LastSeen - incident.FirstSeen);
    }

    [Fact]
    public void Evaluate_FailuresSpreadWiderThanWindow_RaisesNothing()
    {
        // At most four failures ever sit within any 300 s.
        Assert.Empty(Run(NewRule(), Failures("203.0.113.7", 30, everySec: 100)));
    }

    [Fact]
    public void Evaluate_TwoSourcesInterleaved_TwoSeparateIncidents()
    {
        var a = Failures("203.0.113.7", 6, everySec: 10).ToArray();
        var b = Failures("2001:db8::66", 6, everySec: 10, startSec: 5, user: "admin").ToArray();
        var lines = a.Zip(b, (x, y) => new[] { x, y }).SelectMany(p => p);

        var incidents = Run(NewRule(), lines);

        var bySource = incidents.GroupBy(i => i.Source?.Ip).ToDictionary(g => g.Key!, g => g.ToList());
        Assert.Equal(2, bySource.Count);
        Assert.Single(bySource["203.0.113.7"].Select(i => i.Fingerprint).Distinct());
        Assert.Single(bySource["2001:db8::66"].Select(i => i.Fingerprint).Distinct());
        Assert.NotEqual(bySource["203.0.113.7"][0].Fingerprint, bySource["2001:db8::66"][0].Fingerprint);
        Assert.Equal(6, bySource["203.0.113.7"][^1].EventCount);
        Assert.Equal(6, bySource["2001:db8::66"][^1].EventCount);
        Assert.Equal("admin", bySource["2001:db8::66"][^1].User?.Name);
    }

    [Fact]
    public void Evaluate_SameLogReplayedTwice_SameFingerprints()
    {
        var lines = Failures("203.0.113.7", 7, everySec: 10)
            .Concat(Failures("198.51.100.9", 9, everySec: 3, startSec: 20))
            .Concat(Failures("203.0.113.7", 6, everySec: 10, startSec: 2000))
            .ToArray();

        var first = Run(NewRule(), lines).Select(i => i.Fingerprint).Distinct().ToArray();
        var second = Run(NewRule(), lines).Select(i => i.Fingerprint).Distinct().ToArray();

        Assert.Equal(3, first.Length);
        Assert.Equal(first, second);
    }

    [Fact]
    public void Evaluate_GapLongerThanWindow_EndsBurstAndStartsANewIncident()
    {
        var lines = Failures("203.0.113.7", 5, everySec: 10).Concat(Failures("203.0.113.7", 5, everySec: 10, startSec: 1000));

        var incidents = Run(NewRule(), lines);

        Assert.Equal(2, incidents.Count);
        Assert.NotEqual(incidents[0].Fingerprint, incidents[1].Fingerprint);
        Assert.Equal(5, incidents[1].EventCount);
        Assert.Equal(Day + T0 + TimeSpan.FromSeconds(1000), incidents[1].FirstSeen);
    }

    [Fact]
    public void Evaluate_OutOfOrderTimestampsWithinWindow_StillCountedFromEarliest()
    {
        int[] seconds = [40, 0, 30, 10, 20];
        var lines = seconds.Select(s => AuthLines.FailedPassword(T0 + TimeSpan.FromSeconds(s), "203.0.113.7"));

        var incident = Assert.Single(Run(NewRule(), lines));

        Assert.Equal(5, incident.EventCount);
        Assert.Equal(Day + T0, incident.FirstSeen);
        Assert.Equal(SecurityIncident.ComputeFingerprint(RuleId, Day + T0, Rules.Host, "203.0.113.7"), incident.Fingerprint);
    }

    [Fact]
    public void Evaluate_InvalidUserLinesAndFailedPasswordsForThem_CountLikeFail2ban()
    {
        // One attempt at an unknown user logs both lines; fail2ban's sshd filter counts both.
        var lines = Enumerable.Range(0, 3).SelectMany(i => new[]
        {
            AuthLines.Sshd(T0 + TimeSpan.FromSeconds(i * 10), $"Invalid user guest{i} from 203.0.113.7 port 5000{i}"),
            AuthLines.Sshd(T0 + TimeSpan.FromSeconds(i * 10 + 1), $"Failed password for invalid user guest{i} from 203.0.113.7 port 5000{i} ssh2"),
        });

        var incidents = Run(NewRule(), lines);

        Assert.Equal(2, incidents.Count); // 5th and 6th failure
        Assert.Equal(6, incidents[^1].EventCount);
        Assert.Null(incidents[^1].User); // several user names were tried
    }

    [Fact]
    public void Evaluate_FailedPublickey_CountsAsFailure()
    {
        var lines = Enumerable.Range(0, 5).Select(i =>
            AuthLines.Sshd(T0 + TimeSpan.FromSeconds(i), "Failed publickey for git from 198.51.100.4 port 5022 ssh2: RSA SHA256:abc"));
        Assert.Single(Run(NewRule(), lines));
    }

    [Fact]
    public void Evaluate_SuccessfulLogins_AreNotCounted()
    {
        var lines = Enumerable.Range(0, 10).Select(i =>
            AuthLines.Sshd(T0 + TimeSpan.FromSeconds(i), "Accepted password for alice from 203.0.113.7 port 40000 ssh2"));
        Assert.Empty(Run(NewRule(), lines));
    }

    [Fact]
    public void Evaluate_MoreSourcesThanTheBound_EvictsLeastRecentlySeen()
    {
        var rule = NewRule(maxSources: 2);
        Run(rule, [
            AuthLines.FailedPassword(T0, "203.0.113.1"),
            AuthLines.FailedPassword(T0, "203.0.113.2"),
            AuthLines.FailedPassword(T0, "203.0.113.1"),
            AuthLines.FailedPassword(T0, "203.0.113.3"),
        ]);

        Assert.Equal(2, Tracked(rule));
        Assert.Equal(1, Evicted(rule));
        // .1 survived the eviction (.2 was the least recently seen): four more failures open its incident.
        Assert.Single(Run(rule, Failures("203.0.113.1", 3, everySec: 1, startSec: 1)));
    }

    [Fact]
    public void Evaluate_SourceIdleLongerThanWindow_IsForgotten()
    {
        var rule = NewRule();
        Run(rule, Failures("203.0.113.1", 3, everySec: 10));
        Assert.Equal(1, Tracked(rule));

        Run(rule, Failures("203.0.113.2", 1, everySec: 10, startSec: 1000));

        Assert.Equal(1, Tracked(rule));
        Assert.Equal(0, Evicted(rule));
    }

    [Fact]
    public void Evaluate_UsesEventTimeNotWallClock_OldLogStillDetected()
    {
        // Lines from 2019 (far from any wall clock) correlate the same way.
        var events = Enumerable.Range(0, 5)
            .Select(i => Event($"2019-06-14T10:40:{i:00}Z h sshd[1]: Failed password for root from 203.0.113.7 port 22 ssh2"));
        var rule = NewRule();

        var incident = Assert.Single(events.SelectMany(rule.Evaluate));

        Assert.Equal(new DateTimeOffset(2019, 6, 14, 10, 40, 0, TimeSpan.Zero), incident.FirstSeen);
    }
}
