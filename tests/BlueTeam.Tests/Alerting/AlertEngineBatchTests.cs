using BlueTeam.Alerting;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace BlueTeam.Tests.Alerting;

/// <summary>RaiseAllAsync: the decisions of single raises on the newest state of each incident of the batch, with one store call for the batch.</summary>
public sealed class AlertEngineBatchTests
{
    private readonly FakeTimeProvider _time = new(AlertIncidents.Start.AddMinutes(1));

    private (AlertEngine Engine, InMemoryAlertStore Store) NewEngine()
    {
        var store = new InMemoryAlertStore(_time);
        store.AddSilence(new Silence { Id = 7, StartsAt = _time.GetUtcNow().AddMinutes(-1), EndsAt = _time.GetUtcNow().AddHours(1), RuleName = "ssh_brute_force", Labels = new Dictionary<string, string> { ["source.ip"] = "198.51.100.*" } });
        var options = new AlertingOptions();
        var engine = new AlertEngine(new AlertRouter(options, ["console", "syslog", "email"]), store, "eqmon-web01", options, _time, store, store, store);
        return (engine, store);
    }

    private static string Describe(RaisedAlert r) =>
        $"{r.AlertId} new={r.IsNew} route={string.Join(',', r.Route)} queued={string.Join(',', r.Queued)} reason={r.Reason} silenced={r.SilencedBy}";

    private static string Describe(AlertEngine engine, InMemoryAlertStore store) =>
        $"raised={engine.IncidentsRaised} new={engine.NewAlerts} updated={engine.UpdatedAlerts} renotified={engine.Renotified} silenced={engine.Silenced}; " +
        string.Join("; ", store.Deliveries.Select(d => $"{d.Id}:{d.AlertId}:{d.Channel}:{store.ReasonOf(d.Id)}")) + "; " +
        string.Join("; ", store.Alerts.Select(a => $"{a.Id}:{a.Fingerprint}:{a.Incident.EventCount}:{a.Incident.Severity}:{store.SilencedBy(a.Id)}"));

    [Fact]
    public async Task RaiseAllAsync_NewSilencedInfoAndRepeatedIncidents_DecidesAndStoresAsSingleRaises()
    {
        var brute = AlertIncidents.Incident(Severity.High, fingerprint: "fp-brute");
        SecurityIncident[] incidents =
        [
            brute,
            AlertIncidents.Incident(Severity.Info, fingerprint: "fp-info"),
            AlertIncidents.Incident(Severity.Critical, ip: "198.51.100.9", fingerprint: "fp-silenced"),
            brute with { EventCount = 30 }, // the count more than doubled: queued again
            brute with { EventCount = 31, Severity = Severity.Critical }, // worse: queued again, console too
            brute with { EventCount = 32, Severity = Severity.Critical }, // nothing new to say
        ];
        var (single, singleStore) = NewEngine();
        var (batch, batchStore) = NewEngine();

        var one = new List<RaisedAlert>();
        foreach (var incident in incidents) one.Add(await single.RaiseAsync(incident, CancellationToken.None));
        // Each fingerprint once per batch (a batch keeps only the newest state of each: see the next test).
        var all = new List<RaisedAlert>();
        foreach (var part in new[] { incidents[..3], incidents[3..4], incidents[4..5], incidents[5..] })
            all.AddRange(await batch.RaiseAllAsync(part, CancellationToken.None));

        Assert.Equal(one.Select(Describe), all.Select(Describe));
        Assert.Equal(Describe(single, singleStore), Describe(batch, batchStore));
        Assert.Equal(7, all[2].SilencedBy);
        Assert.Equal(NotifyReason.CountGrew, all[3].Reason);
        Assert.Equal(NotifyReason.SeverityRose, all[4].Reason);
        Assert.Empty(all[5].Queued);
    }

    [Fact]
    public async Task RaiseAllAsync_SeveralStatesOfOneIncidentInOneBatch_OnlyTheNewestIsStoredAndDecidedOn_EachGetsItsResult()
    {
        var brute = AlertIncidents.Incident(Severity.High, fingerprint: "fp-brute");
        SecurityIncident[] incidents =
        [
            brute,
            AlertIncidents.Incident(Severity.Info, fingerprint: "fp-info"),
            brute with { EventCount = 30 },
            brute with { EventCount = 32, Severity = Severity.Critical },
        ];
        var (engine, store) = NewEngine();

        var all = await engine.RaiseAllAsync(incidents, CancellationToken.None);

        // One notice of the burst as it stands at the end of the batch (critical, so console too), not three in a row.
        Assert.True(all[0].IsNew);
        Assert.Contains("console", all[0].Queued);
        Assert.All(new[] { all[2], all[3] }, r => Assert.Equal((all[0].AlertId, false, 0), (r.AlertId, r.IsNew, r.Queued.Count)));
        var stored = Assert.Single(store.Alerts, a => a.Fingerprint == "fp-brute");
        Assert.Equal((32, Severity.Critical), (stored.Incident.EventCount, stored.Incident.Severity));
        Assert.Equal(all[0].Queued.Count, store.Deliveries.Count(d => d.AlertId == all[0].AlertId));
        Assert.Equal((4, 2, 2), (engine.IncidentsRaised, engine.NewAlerts, engine.UpdatedAlerts));
    }

    [Fact]
    public async Task RaiseAllAsync_StoreThrows_CountsEveryIncidentLogsAndRethrows()
    {
        var logger = new ListLogger<AlertEngine>();
        var engine = new AlertEngine(new AlertRouter(new AlertingOptions(), ["syslog"]), new AlertEngineTests.BrokenStore(), "eqmon-web01", logger);

        var e = await Assert.ThrowsAsync<IOException>(() => engine.RaiseAllAsync(
            [AlertIncidents.Incident(fingerprint: "fp-lost-1"), AlertIncidents.Incident(fingerprint: "fp-lost-2")], CancellationToken.None));

        Assert.Equal("disk full", e.Message);
        Assert.Equal(2, engine.StoreFailures);
        Assert.Equal(0, engine.IncidentsRaised);
        Assert.Equal(["fp-lost-1", "fp-lost-2"], logger.Entries.Where(x => x.Level == LogLevel.Error)
            .Select(x => x.Message.Contains("fp-lost-1", StringComparison.Ordinal) ? "fp-lost-1" : x.Message.Contains("fp-lost-2", StringComparison.Ordinal) ? "fp-lost-2" : x.Message));
    }

    [Fact]
    public async Task RaiseAllAsync_NoIncidents_ReturnsNothing()
    {
        var (engine, store) = NewEngine();

        Assert.Empty(await engine.RaiseAllAsync([], CancellationToken.None));
        Assert.Empty(store.Alerts);
        Assert.Equal(0, engine.IncidentsRaised);
    }
}
