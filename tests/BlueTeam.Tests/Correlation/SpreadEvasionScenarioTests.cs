using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Correlation;
using BlueTeam.Correlation.Fields;
using BlueTeam.Parsing.Auth;
using BlueTeam.Tests.Parsing;
using Xunit.Abstractions;

namespace BlueTeam.Tests.Correlation;

/// <summary>
/// Issue 14: spreading does not evade. An IPv6 attacker using the addresses of its /64, and one source
/// failing steadily for hours, each raise an incident; their negative controls (an office /64 or NAT
/// address with normal logins and a few typos, all day) raise none. Distributed brute force and
/// per-account stuffing are in <see cref="SpreadAttackRuleTests"/>.
/// </summary>
// Measures the process's heap (GC.GetTotalMemory): alone, or other tests' allocations count as this rule's.
[Collection(MemoryMeasurement.Name)]
public class SpreadEvasionScenarioTests(ITestOutputHelper output)
{
    private readonly ITestOutputHelper _output = output;
    private static readonly TimeSpan T0 = new(0, 5, 0);
    private static readonly string[] BruteForceFamily =
        ["ssh_brute_force", "password_spray", "distributed_brute_force", "account_brute_force", "login_after_failures", "ssh_low_and_slow"];

    private readonly AuthLogParser _parser = new();

    private SecurityEvent Line(string line) => _parser.Parse(AuthLines.Line(line), AuthLines.Context) ?? throw new InvalidOperationException(line);

    private SecurityEvent Failed(int sec, string ip, string user = "root") =>
        Line(AuthLines.Sshd(T0 + TimeSpan.FromSeconds(sec), $"Failed password for {user} from {ip} port {40000 + sec % 20000} ssh2", pid: 1000 + sec % 30000));

    private SecurityEvent Accepted(int sec, string ip, string user) =>
        Line(AuthLines.Sshd(T0 + TimeSpan.FromSeconds(sec), $"Accepted password for {user} from {ip} port 40000 ssh2", pid: 1000 + sec % 30000));

    [Fact]
    public void Ipv6_50AddressesOfOnePrefixFourTriesEach_OneBruteForceIncidentForThePrefix()
    {
        var events = Enumerable.Range(0, 4).SelectMany(round => Enumerable.Range(0, 50)
            .Select(a => Failed(round * 60 + a, $"2001:db8:1:2::{a + 1:x}"))).ToList();

        var incidents = Rules.Run(Rules.Build("ssh_brute_force"), events);

        Assert.Single(incidents.Select(i => i.Fingerprint).Distinct());
        Assert.Equal("SSH brute force from 2001:db8:1:2::/64", incidents[^1].Title);
        Assert.Equal(200, incidents[^1].EventCount);
        Assert.Null(incidents[^1].Source?.Ip); // fifty addresses: none of them is "the" source
    }

    [Fact]
    public void Ipv6_OneAddressOfAPrefix_IncidentNamesThatAddress()
    {
        var events = Enumerable.Range(0, 6).Select(i => Failed(i * 10, "2001:db8:1:2::77")).ToList();
        var incidents = Rules.Run(Rules.Build("ssh_brute_force"), events);
        Assert.Equal("2001:db8:1:2::77", incidents[^1].Source?.Ip);
    }

    [Fact]
    public void Ipv6_TwoTriesEachFromDifferentPrefixes_NoPerSourceIncident()
    {
        // Two failures from each of 30 /64s: separate sources; the distributed rule is the one for that.
        var events = Enumerable.Range(0, 30).SelectMany(p => new[] { Failed(p * 10, $"2001:db8:{p + 1:x}::1"), Failed(p * 10 + 5, $"2001:db8:{p + 1:x}::1") }).ToList();
        Assert.Empty(Rules.Run(Rules.Build("ssh_brute_force"), events));
        Assert.NotEmpty(Rules.Run(Rules.Build("distributed_brute_force"), events));
    }

    [Fact]
    public void Ipv6_PrefixLengthIsConfigurable()
    {
        Assert.True(EventField.TryResolve("source.network/48", out var field, out _));
        var e = Failed(0, "2001:db8:1:2::9");
        Assert.Equal("2001:db8:1::/48", field.ReadText(e));
        Assert.Equal("2001:db8:1:2::/64", EventField.Resolve("source.network").ReadText(e));
        Assert.Equal("198.51.100.4", EventField.Resolve("source.network").ReadText(Failed(0, "198.51.100.4")));
        Assert.False(EventField.TryResolve("source.network/7", out _, out var error));
        Assert.Contains("16 to 128", error, StringComparison.Ordinal);
    }

    [Fact]
    public void LowAndSlow_OneTryEveryTenMinutesForTwelveHours_RaisesOneIncidentAndNoBurst()
    {
        var events = Enumerable.Range(0, 72).Select(i => Failed(i * 600, "203.0.113.99", i % 2 == 0 ? "root" : "admin")).ToList();

        Assert.Empty(Rules.Run(Rules.Build("ssh_brute_force"), events));
        var incidents = Rules.Run(Rules.Build("ssh_low_and_slow"), events);

        Assert.Single(incidents.Select(i => i.Fingerprint).Distinct());
        Assert.Equal("Slow SSH brute force from 203.0.113.99", incidents[^1].Title);
        Assert.Equal("203.0.113.99", incidents[^1].Source?.Ip);
        Assert.Equal(72, incidents[^1].EventCount);
    }

    [Fact]
    public void LowAndSlow_Ipv6SpreadOverItsPrefix_StillOneSource()
    {
        var events = Enumerable.Range(0, 72).Select(i => Failed(i * 600, $"2001:db8:9:9::{i + 1:x}")).ToList();
        var incidents = Rules.Run(Rules.Build("ssh_low_and_slow"), events);
        Assert.Equal("Slow SSH brute force from 2001:db8:9:9::/64", Assert.Single(incidents.Select(i => i.Title).Distinct()));
    }

    [Fact]
    public void LowAndSlow_ABurstOfAHundredInFiveMinutes_IsLeftToTheBurstRule()
    {
        var events = Enumerable.Range(0, 100).Select(i => Failed(i * 3, "203.0.113.98")).ToList();
        Assert.Empty(Rules.Run(Rules.Build("ssh_low_and_slow"), events));
        Assert.NotEmpty(Rules.Run(Rules.Build("ssh_brute_force"), events));
    }

    [Fact]
    public void OfficeBehindOneNatAllDay_LoginsAndTypos_RaisesNothingInTheBruteForceFamily()
    {
        // 120 people behind 192.0.2.10 log in over a 12-hour day; one in six mistypes first (20 typos).
        var events = new List<SecurityEvent>();
        for (var p = 0; p < 120; p++)
        {
            var at = p * 360;
            if (p % 6 == 0) events.Add(Failed(at, "192.0.2.10", $"user{p}"));
            events.Add(Accepted(at + 20, "192.0.2.10", $"user{p}"));
        }
        foreach (var name in BruteForceFamily)
            Assert.True(Rules.Run(Rules.Build(name), events).Count == 0, name + " fired on an office behind one NAT address");
    }

    [Fact]
    public void OfficeInOneIpv6PrefixAllDay_LoginsAndTypos_RaisesNothingInTheBruteForceFamily()
    {
        var events = new List<SecurityEvent>();
        for (var p = 0; p < 120; p++)
        {
            var at = p * 360;
            var ip = $"2001:db8:ff:1::{p + 1:x}";
            if (p % 6 == 0) events.Add(Failed(at, ip, $"user{p}"));
            events.Add(Accepted(at + 20, ip, $"user{p}"));
        }
        foreach (var name in BruteForceFamily)
            Assert.True(Rules.Run(Rules.Build(name), events).Count == 0, name + " fired on an office in one /64");
    }

    [Fact]
    public void LowAndSlow_StateIsBoundedByMaxKeys()
    {
        var rule = Rules.Build("ssh_low_and_slow", new RuleOptions { MaxKeys = 1000 });
        var start = new DateTimeOffset(2026, 3, 10, 0, 0, 0, TimeSpan.Zero);
        for (var a = 0; a < 5000; a++) rule.Evaluate(Rules.Event(start.AddSeconds(a), "ssh_login", "failure", user: "root", ip: $"10.0.{a / 256}.{a % 256}"));
        var stateful = (IStatefulRule)rule;
        Assert.Equal(1000, stateful.TrackedKeys);
        Assert.Equal(4000, stateful.EvictedKeys);
    }

    [Fact]
    public void LowAndSlow_HundredThousandOneShotSources_KeepNoEvent()
    {
        // A scanner passing by fails once: counters only (docs/PERFORMANCE.md quotes the figure this prints).
        const int Sources = 100_000;
        var rule = Rules.Build("ssh_low_and_slow", new RuleOptions { MaxKeys = Sources });
        var start = new DateTimeOffset(2026, 3, 10, 0, 0, 0, TimeSpan.Zero);
        var events = Enumerable.Range(0, Sources).Select(a => Rules.Event(start.AddMilliseconds(a), "ssh_login", "failure", user: "root",
            ip: string.Create(System.Globalization.CultureInfo.InvariantCulture, $"10.{a >> 16}.{(a >> 8) & 255}.{a & 255}"))).ToArray();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        foreach (var e in events) rule.Evaluate(e);
        var after = GC.GetTotalMemory(forceFullCollection: true);
        var perKey = (after - before) / (double)Sources;
        _output.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"ssh_low_and_slow: {Sources:N0} one-shot sources: {(after - before) / 1024.0 / 1024.0:F1} MiB retained, {perKey:F0} bytes per source (events not counted: the test holds them)"));
        Assert.True(perKey < 512, $"{perKey:F0} bytes per source");
        GC.KeepAlive(rule);
        GC.KeepAlive(events);
    }

    [Fact]
    public void LowAndSlow_HundredThousandSourcesOverADay_RetainedMemoryIsCompact()
    {
        // docs/PERFORMANCE.md quotes the figure this prints. Each source fails 12 times, one every two hours:
        // a whole day's window is live and nothing expires; the counters, not the events, hold the state.
        const int Sources = 100_000;
        var rule = Rules.Build("ssh_low_and_slow", new RuleOptions { MaxKeys = Sources });
        var start = new DateTimeOffset(2026, 3, 10, 0, 0, 0, TimeSpan.Zero);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var round = 0; round < 12; round++)
            for (var a = 0; a < Sources; a++)
                rule.Evaluate(Rules.Event(start.AddHours(2 * round).AddMilliseconds(a), "ssh_login", "failure", user: "root",
                    ip: string.Create(System.Globalization.CultureInfo.InvariantCulture, $"10.{a >> 16}.{(a >> 8) & 255}.{a & 255}")));
        var after = GC.GetTotalMemory(forceFullCollection: true);
        Assert.Equal(Sources, ((IStatefulRule)rule).TrackedKeys);
        var perKey = (after - before) / (double)Sources;
        _output.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"ssh_low_and_slow: {Sources:N0} sources x 12 failures over a day: {(after - before) / 1024.0 / 1024.0:F1} MiB retained, {perKey:F0} bytes per source"));
        // Counters (48 bytes), the key, its values and one sample event; keeping every event would be twelve.
        Assert.True(perKey < 1024, $"{perKey:F0} bytes per source");
        GC.KeepAlive(rule);
    }
}

/// <summary>Tests that measure the whole heap run alone: no other test allocates meanwhile.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasurement
{
    public const string Name = "memory measurement";
}
