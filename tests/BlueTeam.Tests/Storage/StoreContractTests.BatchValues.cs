using BlueTeam.Alerting;
using BlueTeam.Core.Events;
using BlueTeam.Storage;
using static BlueTeam.Tests.Storage.StoreTestData;

namespace BlueTeam.Tests.Storage;

// The batch writers bind by position ($n), over arrays on PostgreSQL: values that look like SQL, like placeholders
// or are large must come back exactly, with a chain that verifies.
public abstract partial class StoreContractTests
{
    // What an attacker writes into a user name or a request: quotes, placeholders of every style, a comment, a
    // statement separator, non-ASCII and a surrogate pair. No NUL: PostgreSQL refuses it in text.
    private const string Hostile = "o'brien\" $1 $17 ?1 ? @fingerprint :name -- ; DROP TABLE alert_history; \\ \t\r\n ünïcødé 🛡 ";

    [Fact]
    public async Task SaveAlertsAsync_HostileTextLargeTitlesAndMicroseconds_ComeBackExactlyAndTheChainVerifies()
    {
        var title = string.Concat(Enumerable.Repeat(Hostile, 10_240 / Hostile.Length + 1))[..10_240];
        // Microseconds: what both stores keep (PostgreSQL's precision; SQLite keeps 100 ns ticks).
        var firstSeen = T0.AddTicks(1_234_567_0);
        var lastSeen = T0.AddMinutes(3).AddTicks(987_654_3_0);
        var saves = new[]
        {
            Save(Incident("fp-hostile-1" + Hostile, title: title, description: Hostile + title, userName: Hostile, sourceIp: null,
                firstSeen: firstSeen, lastSeen: lastSeen), HostA, "email", Hostile),
            Save(Incident("fp-hostile-2", ruleName: "rule " + Hostile, title: Hostile, userName: null, firstSeen: firstSeen), Hostile),
            Save(Incident("fp-hostile-1" + Hostile, title: "updated " + title, description: Hostile + title, userName: Hostile, sourceIp: null, eventCount: 77, firstSeen: firstSeen, lastSeen: lastSeen.AddTicks(10)), HostA, "email"),
        };

        var results = await AssertBatchMatchesSinglesAsync(saves, before: []);

        Assert.Equal([true, true, false], results.Select(r => r.IsNew));
        var first = await Store.GetAlertAsync(results[0].AlertId, CancellationToken.None);
        Assert.NotNull(first);
        Assert.Equal("fp-hostile-1" + Hostile, first.Fingerprint);
        Assert.Equal("updated " + title, first.Incident.Title);
        Assert.Equal(Hostile + title, first.Incident.Description);
        Assert.Equal(Hostile, first.Incident.User?.Name);
        Assert.Null(first.Incident.Source);
        Assert.Equal((firstSeen, lastSeen.AddTicks(10), 77), (first.Incident.FirstSeen, first.Incident.LastSeen, first.Incident.EventCount));
        Assert.Equal(["email", Hostile], (await Store.GetDeliveriesAsync(results[0].AlertId, CancellationToken.None)).Select(d => d.Channel));

        var second = await Store.GetAlertAsync(results[1].AlertId, CancellationToken.None);
        Assert.NotNull(second);
        Assert.Equal((Hostile, "rule " + Hostile, Hostile), (second.Host, second.Incident.Rule.Name, second.Incident.Title));
        Assert.Null(second.Incident.User);
        Assert.Empty(await Store.GetDeliveriesAsync(results[1].AlertId, CancellationToken.None));
        Assert.Equal(results[1].AlertId, Assert.Single(await Store.ListAlertsAsync(new AlertQuery { RuleName = "rule " + Hostile, Limit = 10 }, CancellationToken.None)).Id);
        Assert.All(await Store.VerifyChainAsync(null, CancellationToken.None), chain => Assert.True(chain.IsIntact, chain.Host));
    }

    [Fact]
    public async Task SaveAlertsAsync_ThousandNewIncidents_OneStatementPerKindKeepsTheirOrderAndIds()
    {
        var store = await MigratedAsync();
        var saves = Enumerable.Range(0, 1_000).Select(i => Save(Incident($"fp-thousand-{i:0000}", eventCount: i + 1), HostA, "email", "syslog")).ToList();

        var results = await store.SaveAlertsAsync(saves, CancellationToken.None);

        Assert.All(results, r => Assert.True(r.IsNew));
        Assert.Equal(Enumerable.Range(0, 1_000).Select(i => results[0].AlertId + i), results.Select(r => r.AlertId));
        var alerts = (await store.ListAlertsAsync(new AlertQuery { Limit = 2_000 }, CancellationToken.None)).OrderBy(a => a.Id).ToList();
        Assert.Equal(saves.Select(s => (s.Incident.Fingerprint, s.Incident.EventCount)), alerts.Select(a => (a.Fingerprint, a.Incident.EventCount)));
        var deliveries = await store.GetDeliveriesAsync(results[999].AlertId, CancellationToken.None);
        Assert.Equal(["email", "syslog"], deliveries.Select(d => d.Channel));
        var chain = Assert.Single(await store.VerifyChainAsync(HostA, CancellationToken.None));
        Assert.True(chain.IsIntact);
        Assert.Equal(1_000, chain.EntriesChecked);
    }
}
