using BlueTeam.Alerting;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace BlueTeam.Tests.Alerting;

/// <summary>Dedup (repeat interval, count steps, severity), silences and acks in the engine.</summary>
public sealed class AlertEngineNoiseTests
{
    private readonly FakeTimeProvider _time = new(AlertIncidents.Start.AddMinutes(1));
    private readonly InMemoryAlertStore _store;
    private readonly AlertEngine _engine;

    public AlertEngineNoiseTests()
    {
        _store = new InMemoryAlertStore(_time);
        var options = new AlertingOptions();
        var router = new AlertRouter(options, ["console", "syslog", "email"]);
        _engine = new AlertEngine(router, _store, "eqmon-web01", options, _time, _store, _store, _store);
    }

    private static SecurityIncident Brute(int count, Severity severity = Severity.High) =>
        AlertIncidents.Incident(severity, fingerprint: "fp-brute") with { EventCount = count };

    private int RowsFor(string channel) => _store.Deliveries.Count(d => d.Channel == channel);

    [Fact]
    public async Task RaiseAsync_UpdateWithinRepeatIntervalSmallGrowth_NotQueuedAgain()
    {
        await _engine.RaiseAsync(Brute(12), CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(30));

        var update = await _engine.RaiseAsync(Brute(15), CancellationToken.None);

        Assert.False(update.IsNew);
        Assert.Empty(update.Queued);
        Assert.Equal(2, _store.Deliveries.Count);
        Assert.Equal(15, _store.Alerts.Single().Incident.EventCount);
    }

    [Fact]
    public async Task RaiseAsync_CountDoubled_QueuedAgainForEveryRoutedChannel()
    {
        await _engine.RaiseAsync(Brute(12), CancellationToken.None);

        var update = await _engine.RaiseAsync(Brute(24), CancellationToken.None);

        Assert.Equal(NotifyReason.CountGrew, update.Reason);
        Assert.Equal(["email", "syslog"], update.Queued);
        Assert.Equal(2, RowsFor("email"));
        Assert.Equal(NotifyReason.CountGrew, _store.ReasonOf(_store.Deliveries[^1].Id));
        // The next step is now 48, not 24.
        Assert.Empty((await _engine.RaiseAsync(Brute(40), CancellationToken.None)).Queued);
    }

    [Fact]
    public async Task RaiseAsync_SeverityRose_QueuedIncludingChannelNewToTheRoute()
    {
        await _engine.RaiseAsync(Brute(12, Severity.High), CancellationToken.None);

        var update = await _engine.RaiseAsync(Brute(13, Severity.Critical), CancellationToken.None);

        Assert.Equal(NotifyReason.SeverityRose, update.Reason);
        Assert.Equal(["email", "syslog", "console"], update.Queued);
    }

    [Fact]
    public async Task RaiseAsync_AfterRepeatIntervalWithNewEvents_QueuedAsRepeat()
    {
        await _engine.RaiseAsync(Brute(12), CancellationToken.None);
        _time.Advance(TimeSpan.FromHours(4));

        var same = await _engine.RaiseAsync(Brute(12), CancellationToken.None);
        var grown = await _engine.RaiseAsync(Brute(13), CancellationToken.None);

        Assert.Empty(same.Queued);
        Assert.Equal(NotifyReason.Repeat, grown.Reason);
        Assert.Equal(2, RowsFor("syslog"));
    }

    [Fact]
    public async Task RaiseAsync_Acknowledged_NotRenotifiedUnlessSeverityRises()
    {
        var first = await _engine.RaiseAsync(Brute(12, Severity.High), CancellationToken.None);
        _store.Acknowledge(first.AlertId, "alice", _time.GetUtcNow());
        _time.Advance(TimeSpan.FromHours(5));

        var bigger = await _engine.RaiseAsync(Brute(500, Severity.High), CancellationToken.None);
        var worse = await _engine.RaiseAsync(Brute(501, Severity.Critical), CancellationToken.None);

        Assert.Empty(bigger.Queued);
        Assert.Equal(NotifyReason.SeverityRose, worse.Reason);
        Assert.Equal(["email", "syslog", "console"], worse.Queued);
    }

    [Fact]
    public async Task RaiseAsync_MatchingSilence_StoredAndMarkedWithoutDeliveries()
    {
        _store.AddSilence(new Silence
        {
            Id = 7,
            StartsAt = _time.GetUtcNow().AddMinutes(-1),
            EndsAt = _time.GetUtcNow().AddHours(1),
            RuleName = "ssh_brute_force",
            Labels = new Dictionary<string, string> { ["source.ip"] = "203.0.113.*" },
        });

        var raised = await _engine.RaiseAsync(Brute(12), CancellationToken.None);

        Assert.Equal(7, raised.SilencedBy);
        Assert.Single(_store.Alerts);
        Assert.Empty(_store.Deliveries);
        Assert.Equal(7, _store.SilencedBy(raised.AlertId));
        Assert.Equal(1, _engine.Silenced);
    }

    [Fact]
    public async Task RaiseAsync_SilenceExpired_Delivered()
    {
        _store.AddSilence(new Silence { Id = 8, StartsAt = _time.GetUtcNow().AddHours(-2), EndsAt = _time.GetUtcNow().AddHours(-1), RuleName = "ssh_brute_force" });

        var raised = await _engine.RaiseAsync(Brute(12), CancellationToken.None);

        Assert.Null(raised.SilencedBy);
        Assert.Equal(["email", "syslog"], raised.Queued);
    }

    [Theory]
    [InlineData("ssh_brute_force", true)]
    [InlineData("BT-R001", true)]
    [InlineData("bt-r001", false)]
    [InlineData("sudo_abuse", false)]
    public void Silence_RuleNameOrRuleId_MatchesEither(string rule, bool expected)
    {
        // `blueteam silence add --rule` accepts a rule's name or its id.
        var silence = new Silence { Id = 1, StartsAt = DateTimeOffset.MinValue, EndsAt = DateTimeOffset.MaxValue, RuleName = rule };

        Assert.Equal(expected, silence.Matches(Brute(1), "h", AlertIncidents.Start));
    }

    [Fact]
    public async Task RaiseAsync_SilenceByRuleId_StoredWithoutDeliveries()
    {
        _store.AddSilence(new Silence { Id = 9, StartsAt = _time.GetUtcNow().AddMinutes(-1), EndsAt = _time.GetUtcNow().AddHours(1), RuleName = "BT-R001" });

        var raised = await _engine.RaiseAsync(Brute(12), CancellationToken.None);

        Assert.Equal(9, raised.SilencedBy);
        Assert.Empty(_store.Deliveries);
    }

    [Fact]
    public void Silence_WithoutAnyMatcher_MatchesNothing()
    {
        var silence = new Silence { Id = 1, StartsAt = DateTimeOffset.MinValue, EndsAt = DateTimeOffset.MaxValue };

        Assert.False(silence.Matches(Brute(1), "h", AlertIncidents.Start));
    }

    [Fact]
    public async Task RaiseAsync_WithoutNotificationLog_UpdatesNeverRequeued()
    {
        var router = new AlertRouter(new AlertingOptions(), ["syslog"]);
        var legacy = new AlertEngine(router, _store, "eqmon-web01");
        await legacy.RaiseAsync(Brute(12), CancellationToken.None);

        var update = await legacy.RaiseAsync(Brute(1000, Severity.Critical), CancellationToken.None);

        Assert.Empty(update.Queued);
        Assert.Single(_store.Deliveries);
    }
}
