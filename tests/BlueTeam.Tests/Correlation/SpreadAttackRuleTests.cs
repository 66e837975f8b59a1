using BlueTeam.Core.Events;
using BlueTeam.Parsing.Auth;
using BlueTeam.Tests.Parsing;

namespace BlueTeam.Tests.Correlation;

/// <summary>
/// Attacks spread out to stay under the per-source thresholds (many addresses, few tries each) are
/// still caught, and ordinary life (an office behind one NAT address, a few typos) raises nothing.
/// </summary>
public class SpreadAttackRuleTests
{
    private static readonly TimeSpan T0 = new(8, 30, 0);
    private static readonly AuthLogParser Parser = new();

    private static SecurityEvent Line(string line) => Parser.Parse(AuthLines.Line(line), AuthLines.Context) ?? throw new InvalidOperationException(line);
    private static SecurityEvent Failed(int sec, string ip, string user = "root", bool invalidUser = false) =>
        Line(AuthLines.Sshd(T0 + TimeSpan.FromSeconds(sec), $"Failed password for {(invalidUser ? "invalid user " : "")}{user} from {ip} port {40000 + sec % 20000} ssh2"));
    private static SecurityEvent Accepted(int sec, string ip, string user) =>
        Line(AuthLines.Sshd(T0 + TimeSpan.FromSeconds(sec), $"Accepted password for {user} from {ip} port 40000 ssh2"));

    private static string Botnet(int i) => $"198.51.{100 + i / 200}.{1 + i % 200}";

    [Fact]
    public void Botnet_50AddressesFourTriesEach_NoPerSourceIncident_OneDistributedIncident()
    {
        var events = Enumerable.Range(0, 4).SelectMany(round => Enumerable.Range(0, 50).Select(a => Failed(round * 120 + a, Botnet(a)))).ToList();

        Assert.Empty(Rules.Run(Rules.Build("ssh_brute_force"), events));
        var incidents = Rules.Run(Rules.Build("distributed_brute_force"), events);
        Assert.Single(incidents.Select(i => i.Fingerprint).Distinct());
        Assert.Equal("Distributed SSH brute force against eqmon-web01", incidents[^1].Title);
        Assert.Equal(200, incidents[^1].EventCount);
    }

    [Fact]
    public void Distributed_19Addresses_BelowThreshold_DoesNotFire()
    {
        var events = Enumerable.Range(0, 19).Select(a => Failed(a * 10, Botnet(a)));
        Assert.Empty(Rules.Run(Rules.Build("distributed_brute_force"), events));
    }

    [Fact]
    public void OfficeBehindOneNat_ManyUsersWithTypos_RaisesNothing()
    {
        // 40 people behind 192.0.2.10: each mistypes once, then logs in; over a working morning.
        var events = new List<SecurityEvent>();
        for (var p = 0; p < 40; p++)
        {
            events.Add(Failed(p * 300, "192.0.2.10", $"user{p}"));
            events.Add(Accepted(p * 300 + 5, "192.0.2.10", $"user{p}"));
        }
        foreach (var rule in new[] { "distributed_brute_force", "account_brute_force", "ssh_brute_force", "password_spray" })
            Assert.True(Rules.Run(Rules.Build(rule), events).Count == 0, rule + " fired on an office behind one NAT address");
    }

    [Fact]
    public void OneAccountFromManyAddresses_CredentialStuffing_FiresOnce()
    {
        var events = Enumerable.Range(0, 8).Select(a => Failed(a * 300, Botnet(a), "alice")).ToList();
        Assert.Empty(Rules.Run(Rules.Build("ssh_brute_force"), events));
        Assert.Empty(Rules.Run(Rules.Build("password_spray"), events));
        var incidents = Rules.Run(Rules.Build("account_brute_force"), events);
        Assert.Single(incidents.Select(i => i.Fingerprint).Distinct());
        Assert.Equal("alice", incidents[^1].User?.Name);
        Assert.StartsWith("Account alice attacked from", incidents[^1].Title, StringComparison.Ordinal);
    }

    [Fact]
    public void OneAccountFromHomeAndOffice_FewTypos_DoesNotFire()
    {
        var events = new[] { Failed(0, "192.0.2.10", "alice"), Failed(30, "192.0.2.10", "alice"), Failed(3000, "203.0.113.44", "alice"), Failed(3100, "198.51.100.9", "alice") };
        Assert.Empty(Rules.Run(Rules.Build("account_brute_force"), events));
    }

    [Fact]
    public void InvalidUserNamesFromManyAddresses_LeftToPerSourceRules()
    {
        // Every scanner tries "admin": names that do not exist are background noise for this rule.
        var events = Enumerable.Range(0, 30).Select(a => Failed(a * 60, Botnet(a), "admin", invalidUser: true));
        Assert.Empty(Rules.Run(Rules.Build("account_brute_force"), events));
    }
}
