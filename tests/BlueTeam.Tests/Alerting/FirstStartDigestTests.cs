using BlueTeam.Alerting;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace BlueTeam.Tests.Alerting;

/// <summary>The first start's hold of history in the engine, and its digest.</summary>
public sealed class FirstStartDigestTests
{
    private static readonly DateTimeOffset StartedAt = AlertIncidents.Start.AddDays(2);
    private readonly FakeTimeProvider _time = new(StartedAt);
    private readonly InMemoryAlertStore _store;
    private readonly AlertEngine _engine;

    public FirstStartDigestTests()
    {
        _store = new InMemoryAlertStore(_time);
        var options = new AlertingOptions();
        _engine = new AlertEngine(new AlertRouter(options, ["console", "syslog", "email"]), _store, "eqmon-web01", options, _time, _store, _store, _store)
        {
            History = new FirstStartDigest(StartedAt),
        };
    }

    private static SecurityIncident Old(string fp, Severity severity, string rule = "ssh_brute_force") =>
        AlertIncidents.Incident(severity, fingerprint: fp) with { Rule = new IncidentRule { Id = "BT-X", Name = rule } };

    [Fact]
    public async Task Raise_History_StoredWithoutDeliveries_ThenOneDigestPerChannel()
    {
        var raised = await _engine.RaiseAllAsync([Old("a", Severity.Critical), Old("b", Severity.High), Old("c", Severity.Medium, "sudo_abuse"), Old("c", Severity.Medium, "sudo_abuse"), Old("d", Severity.Info)], CancellationToken.None);

        Assert.All(raised, r => Assert.Empty(r.Queued));
        Assert.Equal(4, _store.Alerts.Count);
        Assert.Empty(_store.Deliveries);
        Assert.Null(await _engine.SendHistoryDigestAsync(idle: false, CancellationToken.None)); // backlog still being read

        var digest = await _engine.SendHistoryDigestAsync(idle: true, CancellationToken.None);

        Assert.NotNull(digest);
        Assert.Equal(["console", "email", "syslog"], digest.Queued);
        Assert.Equal(["console", "email", "syslog"], _store.Deliveries.Select(d => d.Channel).Order());
        Assert.All(_store.Deliveries, d => Assert.Equal(digest.AlertId, d.AlertId));
        var stored = _store.Alerts.Single(a => a.Id == digest.AlertId).Incident;
        Assert.Equal(FirstStartDigest.RuleName, stored.Rule.Name);
        Assert.Equal("history before first start: 4 incidents, 1 critical, 1 high, 1 medium, 1 info", stored.Title);
        Assert.Equal(Severity.Critical, stored.Severity);
        Assert.Contains("ssh_brute_force 3, sudo_abuse 1", stored.Description);
        Assert.Contains("console 1, email 2, syslog 3", stored.Description);
        Assert.Null(await _engine.SendHistoryDigestAsync(idle: true, CancellationToken.None)); // nothing held any more
    }

    [Fact]
    public async Task Raise_IncidentGoingOnAfterTheStart_IsLiveAndSentAsUsual()
    {
        var live = Old("live", Severity.High) with { LastSeen = StartedAt.AddSeconds(5) };

        var raised = await _engine.RaiseAsync(live, CancellationToken.None);

        Assert.Equal(["email", "syslog"], raised.Queued);
        Assert.Null(await _engine.SendHistoryDigestAsync(idle: true, CancellationToken.None));
    }

    [Fact]
    public async Task Raise_HistoryThatGoesOnLive_IsNotifiedWhenItBecomesLive()
    {
        await _engine.RaiseAsync(Old("burst", Severity.High), CancellationToken.None);
        Assert.Empty(_store.Deliveries);

        var update = await _engine.RaiseAsync(Old("burst", Severity.High) with { LastSeen = StartedAt.AddSeconds(1), EventCount = 13 }, CancellationToken.None);

        Assert.Equal(["email", "syslog"], update.Queued);
    }

    [Fact]
    public async Task SendHistoryDigest_BusyQueueNeverIdle_GoesAfterMaxHold()
    {
        await _engine.RaiseAsync(Old("a", Severity.High), CancellationToken.None);

        Assert.Null(await _engine.SendHistoryDigestAsync(idle: false, CancellationToken.None));
        _time.Advance(FirstStartDigest.MaxHold);
        Assert.NotNull(await _engine.SendHistoryDigestAsync(idle: false, CancellationToken.None));
    }

    [Fact]
    public async Task SendHistoryDigest_OnlyInfoHeld_NothingToSend()
    {
        await _engine.RaiseAsync(Old("i", Severity.Info), CancellationToken.None);

        Assert.Null(await _engine.SendHistoryDigestAsync(idle: true, CancellationToken.None));
        Assert.Single(_store.Alerts);
        Assert.Empty(_store.Deliveries);
    }

    [Fact]
    public async Task Raise_WithoutHistory_LaterStartsSendEachAsBefore()
    {
        _engine.History = null;

        var raised = await _engine.RaiseAsync(Old("a", Severity.High), CancellationToken.None);

        Assert.Equal(["email", "syslog"], raised.Queued);
    }

    [Fact]
    public async Task Raise_OldTimestampsAfterTheBacklogWasRead_SentOneByOne()
    {
        await _engine.RaiseAsync(Old("a", Severity.High), CancellationToken.None);
        Assert.NotNull(await _engine.SendHistoryDigestAsync(idle: true, CancellationToken.None));

        var late = await _engine.RaiseAsync(Old("late", Severity.High), CancellationToken.None);

        Assert.Equal(["email", "syslog"], late.Queued);
        Assert.True(_engine.History!.IsClosed);
    }

    [Fact]
    public async Task SendHistoryDigest_DigestForcedByABusyQueue_KeepsHoldingTheRestOfTheBacklog()
    {
        await _engine.RaiseAsync(Old("a", Severity.High), CancellationToken.None);
        _time.Advance(FirstStartDigest.MaxHold);
        Assert.NotNull(await _engine.SendHistoryDigestAsync(idle: false, CancellationToken.None));

        var more = await _engine.RaiseAsync(Old("b", Severity.High), CancellationToken.None);

        Assert.Empty(more.Queued);
        var second = await _engine.SendHistoryDigestAsync(idle: true, CancellationToken.None);
        Assert.NotNull(second);
        Assert.NotEqual(_store.Alerts.First(a => a.Incident.Rule.Name == FirstStartDigest.RuleName).Id, second.AlertId); // a digest of its own
    }
}
