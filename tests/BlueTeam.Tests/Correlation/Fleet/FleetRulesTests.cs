using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Correlation.Fleet;
using BlueTeam.Parsing.Auth;
using BlueTeam.Tests.Parsing;

namespace BlueTeam.Tests.Correlation.Fleet;

/// <summary>The fleet rules over signals, the aggregator over parsed events, and the episode decision.</summary>
public class FleetRulesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 10, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Bucket = TimeSpan.FromSeconds(60);
    private static readonly AuthLogParser Parser = new();
    private long _id;

    private FleetSignal Signal(string host, string source, string? user = "root", int failures = 3, int minute = 0) =>
        new(++_id, host, T0.AddMinutes(minute), source, user, failures);

    private static (FleetWindow Window, List<FleetFinding> Findings) Run(IFleetRule rule, IReadOnlyList<FleetSignal> signals)
    {
        var window = new FleetWindow(rule.Window + Bucket);
        window.Add(signals);
        return (window, rule.Evaluate(window, signals).ToList());
    }

    [Fact]
    public void SshSpray_OneSourceOnFiveHosts_OneFindingWithTheHostsAndCounts()
    {
        var rule = new FleetSshSprayRule(new FleetSprayOptions(), Bucket);
        var signals = Enumerable.Range(1, 5).Select(i => Signal($"web{i:00}", "203.0.113.7", failures: i)).ToList();

        var finding = Assert.Single(Run(rule, signals).Findings);

        Assert.Equal("fleet_ssh_spray", finding.RuleName);
        Assert.Equal("203.0.113.7", finding.Key);
        Assert.Equal(["web05", "web04", "web03", "web02", "web01"], finding.Hosts.Select(h => h.Host));
        Assert.Equal(15, finding.Failures);
        Assert.Equal(T0, finding.FirstSeen);
        Assert.Equal(T0 + Bucket, finding.LastSeen);
    }

    [Fact]
    public void SshSpray_FourHosts_NothingBelowMinHosts()
    {
        var rule = new FleetSshSprayRule(new FleetSprayOptions(), Bucket);
        var signals = Enumerable.Range(1, 4).Select(i => Signal($"web{i}", "203.0.113.7")).ToList();
        Assert.Empty(Run(rule, signals).Findings);
    }

    [Fact]
    public void SshSpray_HostsSpreadWiderThanTheWindow_NoFinding()
    {
        // Five hosts, one every 3 minutes: 12 minutes from the first to the last, never five within 10.
        var rule = new FleetSshSprayRule(new FleetSprayOptions(), Bucket);
        var signals = Enumerable.Range(0, 5).Select(i => Signal($"web{i}", "203.0.113.7", minute: 3 * i)).ToList();
        Assert.Empty(Run(rule, signals).Findings);
    }

    [Fact]
    public void SshSpray_SameHostManyTimes_CountsOneHost()
    {
        var rule = new FleetSshSprayRule(new FleetSprayOptions { MinHosts = 2 }, Bucket);
        var signals = Enumerable.Range(0, 5).Select(i => Signal("web1", "203.0.113.7", user: $"u{i}")).ToList();
        Assert.Empty(Run(rule, signals).Findings);
    }

    [Fact]
    public void AccountSpray_OneUserFromThreeSourcesOnFiveHosts_Finding()
    {
        var rule = new FleetAccountSprayRule(new FleetSprayOptions { MinHosts = 5, MinSources = 3 }, Bucket);
        var signals = Enumerable.Range(0, 5).Select(i => Signal($"web{i}", $"198.51.100.{i % 3}", user: "admin")).ToList();

        var finding = Assert.Single(Run(rule, signals).Findings);

        Assert.Equal("user.name", finding.KeyField);
        Assert.Equal("admin", finding.Key);
        Assert.Equal(["198.51.100.0", "198.51.100.1", "198.51.100.2"], finding.Sources);
    }

    [Fact]
    public void AccountSpray_OneSourceOnly_NothingBelowMinSources()
    {
        var rule = new FleetAccountSprayRule(new FleetSprayOptions { MinHosts = 5, MinSources = 3 }, Bucket);
        var signals = Enumerable.Range(0, 8).Select(i => Signal($"web{i}", "198.51.100.1", user: "admin")).ToList();
        Assert.Empty(Run(rule, signals).Findings);
    }

    [Fact]
    public void Window_OldSignals_PrunedBehindTheNewest()
    {
        var window = new FleetWindow(TimeSpan.FromMinutes(10));
        window.Add([Signal("a", "203.0.113.7", minute: 0)]);
        window.Add([Signal("b", "203.0.113.7", minute: 30)]);
        Assert.Equal(["b"], window.BySource("203.0.113.7").Select(s => s.Host));
        window.Add([Signal("c", "203.0.113.7", minute: 5)]); // arrives late, already out of the window
        Assert.Equal(1, window.Count);
    }

    [Fact]
    public void Aggregator_SshFailures_CountedPerBucketSourceAndUser_Ipv6AsItsSlash64()
    {
        var aggregator = new FleetSignalAggregator(Bucket);
        var lines = new[]
        {
            "Mar 10 09:00:01 h sshd[1]: Failed password for root from 203.0.113.7 port 40000 ssh2",
            "Mar 10 09:00:02 h sshd[2]: Failed password for root from 203.0.113.7 port 40001 ssh2",
            "Mar 10 09:00:03 h sshd[3]: Failed password for invalid user admin from 2001:db8:1:2::10 port 40002 ssh2",
            "Mar 10 09:00:04 h sshd[4]: Failed password for invalid user admin from 2001:db8:1:2::99 port 40003 ssh2",
            "Mar 10 09:01:05 h sshd[5]: Failed password for root from 203.0.113.7 port 40004 ssh2",
            "Mar 10 09:01:06 h sshd[6]: Accepted password for deploy from 203.0.113.8 port 40005 ssh2",
        };
        aggregator.Observe(lines.Select(Parse).ToList());

        var signals = aggregator.Take("web01");

        Assert.Equal(
            [("2001:db8:1:2::/64", "admin", 2, 0), ("203.0.113.7", "root", 2, 0), ("203.0.113.7", "root", 1, 1)],
            signals.Select(s => (s.Source, s.User, s.Failures, (int)(s.Bucket - signals[0].Bucket).TotalMinutes)));
        Assert.All(signals, s => Assert.Equal("web01", s.Host));
        Assert.Empty(aggregator.Take("web01"));
    }

    [Fact]
    public void Aggregator_UserNameWithDecoyAddress_SourceComesFromTheFixedStructure()
    {
        var aggregator = new FleetSignalAggregator(Bucket);
        aggregator.Observe([Parse("Mar 10 09:00:01 h sshd[1]: Failed password for invalid user x from 10.9.9.9 port 1 ssh2 from 203.0.113.7 port 40000 ssh2")]);
        var signal = Assert.Single(aggregator.Take("web01"));
        Assert.Equal("203.0.113.7", signal.Source);
    }

    [Fact]
    public void Aggregator_Full_DropsNewKeysAndCountsThem_ReturnMerges()
    {
        var aggregator = new FleetSignalAggregator(Bucket, maxKeys: 2);
        aggregator.Observe(Enumerable.Range(1, 3).Select(i => Parse($"Mar 10 09:00:01 h sshd[1]: Failed password for root from 203.0.113.{i} port 40000 ssh2")).ToList());
        Assert.Equal(1, aggregator.Dropped);

        var taken = aggregator.Take("web01");
        aggregator.Observe([Parse("Mar 10 09:00:09 h sshd[1]: Failed password for root from 203.0.113.1 port 40000 ssh2")]);
        aggregator.Return(taken); // the store was down
        Assert.Equal([("203.0.113.1", 2), ("203.0.113.2", 1)], aggregator.Take("web01").Select(s => (s.Source, s.Failures)));
    }

    [Fact]
    public void Episodes_FirstFinding_NewWithAFingerprintOfRuleKeyAndStart()
    {
        var finding = Finding(["a", "b", "c", "d", "e"], T0, T0.AddMinutes(1));
        var (decision, episode) = FleetEpisodes.Decide(finding, open: null, TimeSpan.FromMinutes(10), "leader1");
        Assert.Equal(FleetDecision.New, decision);
        Assert.Equal(SecurityIncident.ComputeFingerprint(FleetSshSprayRule.RuleId, T0, "203.0.113.7"), episode.Fingerprint);
        Assert.Equal("leader1", episode.RaisedBy);
        Assert.False(episode.Raised);
    }

    [Fact]
    public void Episodes_MoreHosts_GrownKeepsFingerprintAndRaiser_SameHosts_Unchanged_AfterQuiet_New()
    {
        var window = TimeSpan.FromMinutes(10);
        var (_, first) = FleetEpisodes.Decide(Finding(["a", "b", "c", "d", "e"], T0, T0.AddMinutes(1)), null, window, "leader1");
        first = first with { Raised = true };

        var (grown, second) = FleetEpisodes.Decide(Finding(["a", "b", "c", "d", "e", "f"], T0, T0.AddMinutes(2)), first, window, "leader2");
        Assert.Equal(FleetDecision.Grown, grown);
        Assert.Equal(first.Fingerprint, second.Fingerprint);
        Assert.Equal("leader1", second.RaisedBy); // the new leader continues it; it does not become its own
        Assert.Equal(6, second.Hosts.Count);

        var (same, _) = FleetEpisodes.Decide(Finding(["a", "b"], T0, T0.AddMinutes(2)), second, window, "leader2");
        Assert.Equal(FleetDecision.Unchanged, same);

        var (later, third) = FleetEpisodes.Decide(Finding(["a", "b", "c", "d", "e"], T0.AddMinutes(30), T0.AddMinutes(31)), second, window, "leader2");
        Assert.Equal(FleetDecision.New, later);
        Assert.NotEqual(first.Fingerprint, third.Fingerprint);
    }

    [Fact]
    public void Incident_HighWithRuleSourceAndHostsAsEvidence_NoHostName()
    {
        var hosts = Enumerable.Range(1, 20).Select(i => $"web{i:00}").ToArray();
        var finding = Finding(hosts, T0, T0.AddMinutes(1));
        var (_, episode) = FleetEpisodes.Decide(finding, null, TimeSpan.FromMinutes(10), "leader1");

        var incident = FleetIncident.Create(episode, finding, "leader1");

        Assert.Equal(Severity.High, incident.Severity);
        Assert.Equal("fleet_ssh_spray", incident.Rule.Name);
        Assert.Equal("203.0.113.7", incident.Source?.Ip);
        Assert.Null(incident.Host);
        Assert.Equal("SSH spray from 203.0.113.7 across 20 hosts", incident.Title);
        Assert.Equal(60, incident.EventCount);
        Assert.Contains("web20 (3)", incident.Description, StringComparison.Ordinal);
        Assert.Equal(SecurityIncident.MaxEvidence, incident.Evidence.Count);
        Assert.All(incident.Evidence, e => Assert.Equal("3", e.Labels!["failures"]));
    }

    [Fact]
    public void Config_BadFleetValues_RefusedWithTheirKeysAndLines()
    {
        var refused = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""
            database: {driver: postgres, connection_string: "Host=127.0.0.1"}
            fleet:
              enabled: true
              bucket_sec: 0
              rules:
                fleet_ssh_spray: {min_hosts: 1, min_sources: 2}
                fleet_account_spray: {window_sec: 10}
            """, "test.yaml"));
        var keys = refused.Errors.Select(e => e.Key).ToList();
        Assert.Contains("fleet.bucket_sec", keys);
        Assert.Contains("fleet.rules.fleet_ssh_spray.min_hosts", keys);
        Assert.Contains("fleet.rules.fleet_ssh_spray.min_sources", keys);
        Assert.Contains("fleet.rules.fleet_account_spray.window_sec", keys);
        Assert.Contains(refused.Errors, e => e.Key == "fleet.rules.fleet_ssh_spray.min_hosts" && e.Location.Contains("test.yaml:6", StringComparison.Ordinal));
    }

    [Fact]
    public void Config_FleetOnSqlite_Refused()
    {
        var refused = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("fleet: {enabled: true}", "test.yaml"));
        Assert.Contains(refused.Errors, e => e.Key == "fleet.enabled" && e.Message.Contains("postgres", StringComparison.Ordinal));
    }

    [Fact]
    public void Config_Defaults_FiveHostsTenMinutes_AccountSprayThreeSources()
    {
        var fleet = ConfigLoader.Parse("", "test.yaml").Fleet;
        Assert.False(fleet.Enabled);
        Assert.Equal((5, 600), (fleet.Rules.FleetSshSpray.MinHosts, fleet.Rules.FleetSshSpray.WindowSec));
        Assert.Equal((5, 3, 600), (fleet.Rules.FleetAccountSpray.MinHosts, fleet.Rules.FleetAccountSpray.MinSources, fleet.Rules.FleetAccountSpray.WindowSec));
    }

    private static FleetFinding Finding(string[] hosts, DateTimeOffset first, DateTimeOffset last) =>
        new(FleetSshSprayRule.RuleId, FleetSshSprayRule.RuleName, "source.ip", "203.0.113.7",
            hosts.Select(h => new FleetHostCount(h, 3)).ToList(), ["203.0.113.7"], first, last);

    private static SecurityEvent Parse(string line) =>
        Parser.Parse(AuthLines.Line(line), AuthLines.Context) ?? throw new InvalidOperationException($"no event for: {line}");
}
