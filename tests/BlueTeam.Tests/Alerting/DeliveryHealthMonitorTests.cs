using BlueTeam.Alerting;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace BlueTeam.Tests.Alerting;

/// <summary>Self-monitoring (NIST 3.3.4): failing delivery becomes an incident routed around the failing channel.</summary>
public sealed class DeliveryHealthMonitorTests
{
    private readonly FakeTimeProvider _time = new(AlertIncidents.Start);
    private readonly InMemoryAlertStore _store;
    private readonly DeliveryRetryOptions _retry = new() { Jitter = () => 1.0, MaxAttempts = 3 };
    private readonly DeliveryFailureOptions _options = new() { ChannelDownAfterSec = 600 };

    public DeliveryHealthMonitorTests() => _store = new InMemoryAlertStore(_time);

    private DeliveryHealthMonitor Monitor() => new(_options, "eqmon-web01", _time);

    private DeliveryDispatcher Dispatcher(params IAlertChannel[] channels) => new(_store, channels.ToDictionary(c => c.Name), _time, _retry);

    [Fact]
    public async Task Observe_PermanentFailure_RaisesHighIncidentWithNist334()
    {
        await _store.SaveAlertAsync(AlertIncidents.Incident(), "eqmon-web01", ["email"], CancellationToken.None);
        var dispatcher = Dispatcher(new ScriptedChannel("email", DeliveryResult.Permanent("recipient rejected")));
        var monitor = Monitor();

        var raised = monitor.Observe(await dispatcher.DispatchDueAsync(CancellationToken.None));

        var failure = Assert.Single(raised);
        Assert.Equal("email", failure.FailingChannel);
        Assert.Equal("alert_delivery_failure", failure.Incident.Rule.Name);
        Assert.Equal(Severity.High, failure.Incident.Severity);
        Assert.Equal(["3.3.4"], failure.Incident.NistControls);
        Assert.Contains("recipient rejected", failure.Incident.Description, StringComparison.Ordinal);
        Assert.False(monitor.IsHealthy("email"));
    }

    [Fact]
    public async Task Observe_TransientOnly_RaisesOnceChannelDownLongerThanThreshold()
    {
        await _store.SaveAlertAsync(AlertIncidents.Incident(), "eqmon-web01", ["email"], CancellationToken.None);
        _retry.MaxAttempts = 100;
        var dispatcher = Dispatcher(new ScriptedChannel("email", DeliveryResult.Transient("connection refused")));
        var monitor = Monitor();
        var raised = new List<DeliveryFailureIncident>();

        // Every 30 s a round, for 15 minutes: the threshold (10 min) is crossed once.
        for (var i = 0; i < 30; i++)
        {
            raised.AddRange(monitor.Observe(await dispatcher.DispatchDueAsync(CancellationToken.None)));
            _time.Advance(TimeSpan.FromSeconds(30));
        }

        var failure = Assert.Single(raised);
        Assert.Contains("failing for 10 min", failure.Incident.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Observe_SameChannelNextWindow_RaisesAgainWithDifferentFingerprint()
    {
        var monitor = Monitor();
        DeliveryAttempt Failed() => new(1, 1, "webhook", Severity.High, 8, DeliveryStatus.Failed, DeliveryOutcome.Transient, "HTTP 503", _time.GetUtcNow(), null);

        var first = monitor.Observe([Failed()]);
        var sameWindow = monitor.Observe([Failed()]);
        _time.Advance(TimeSpan.FromHours(1));
        var nextWindow = monitor.Observe([Failed()]);

        Assert.Single(first);
        Assert.Empty(sameWindow);
        Assert.NotEqual(first[0].Incident.Fingerprint, Assert.Single(nextWindow).Incident.Fingerprint);
    }

    [Fact]
    public async Task RestoreAsync_RaisedBeforeRestartThisWindow_NotRaisedAgainUntilNextWindow()
    {
        var options = new AlertingOptions();
        var engine = new AlertEngine(new AlertRouter(options, ["email", "syslog"]), _store, "eqmon-web01", options, _time, _store, _store, _store);
        DeliveryAttempt Failed() => new(1, 1, "email", Severity.High, 1, DeliveryStatus.Failed, DeliveryOutcome.Permanent, "550", _time.GetUtcNow(), null);
        foreach (var failure in Monitor().Observe([Failed()]))
            await engine.RaiseDeliveryFailureAsync(failure, _ => true, CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(10));

        // The daemon restarts: a new monitor, told what the store already holds.
        var restarted = Monitor();
        var restored = await restarted.RestoreAsync(_store, CancellationToken.None);
        var sameWindow = restarted.Observe([Failed()]);
        _time.Advance(TimeSpan.FromHours(1));
        var nextWindow = restarted.Observe([Failed()]);

        Assert.Equal(["email"], restored);
        Assert.Empty(sameWindow);
        Assert.Single(nextWindow);
    }

    [Fact]
    public async Task RestoreAsync_NothingStored_RestoresNothing()
    {
        var monitor = Monitor();

        Assert.Empty(await monitor.RestoreAsync(_store, CancellationToken.None));
        Assert.Single(monitor.Observe([new DeliveryAttempt(1, 1, "email", Severity.High, 1, DeliveryStatus.Failed, DeliveryOutcome.Permanent, "550", _time.GetUtcNow(), null)]));
    }

    [Fact]
    public void Observe_DeliveredAfterFailures_ChannelHealthyAgain()
    {
        var monitor = Monitor();
        var t = _time.GetUtcNow();
        monitor.Observe([new DeliveryAttempt(1, 1, "email", Severity.High, 1, DeliveryStatus.Pending, DeliveryOutcome.Transient, "x", t, t.AddSeconds(5))]);
        Assert.False(monitor.IsHealthy("email"));

        monitor.Observe([new DeliveryAttempt(1, 1, "email", Severity.High, 2, DeliveryStatus.Delivered, DeliveryOutcome.Delivered, null, t, null)]);

        Assert.True(monitor.IsHealthy("email"));
    }

    [Fact]
    public async Task RaiseDeliveryFailureAsync_EmailFailing_RoutedToSyslogNeverEmail()
    {
        var options = new AlertingOptions();
        var router = new AlertRouter(options, ["email", "syslog", "console"]);
        var engine = new AlertEngine(router, _store, "eqmon-web01", options, _time, _store, _store, _store);
        await _store.SaveAlertAsync(AlertIncidents.Incident(), "eqmon-web01", ["email"], CancellationToken.None);
        var email = new ScriptedChannel("email", DeliveryResult.Permanent("auth refused"));
        var syslog = new ScriptedChannel("syslog", DeliveryResult.Delivered());
        var dispatcher = Dispatcher(email, syslog);
        var monitor = Monitor();

        foreach (var failure in monitor.Observe(await dispatcher.DispatchDueAsync(CancellationToken.None)))
            await engine.RaiseDeliveryFailureAsync(failure, monitor.IsHealthy, CancellationToken.None);
        await dispatcher.DispatchDueAsync(CancellationToken.None);

        var sent = Assert.Single(syslog.Sent);
        Assert.Equal("alert_delivery_failure", sent.Incident.Rule.Name);
        Assert.Single(email.Sent);
        Assert.Equal(2, _store.Alerts.Count);
    }

    [Fact]
    public void FailureRoute_RoutedChannelsAllDown_FallsBackDownTheLadder()
    {
        var options = new AlertingOptions { Routes = [new RouteOptions { Match = new(), Channels = ["email"] }] };
        var router = new AlertRouter(options, ["email", "syslog", "console"]);
        var engine = new AlertEngine(router, _store, "eqmon-web01", options, _time, null, null, null);
        var failure = new DeliveryFailureIncident(AlertIncidents.Incident(Severity.High), "email");

        var healthySyslog = engine.FailureRoute(failure, _ => true);
        var syslogDownToo = engine.FailureRoute(failure, c => c != "syslog");

        Assert.Equal(["syslog"], healthySyslog);
        Assert.Equal(["console"], syslogDownToo);
    }

    [Fact]
    public async Task DispatchDueAsync_RetryAfterLongerThanBackoff_WaitsRetryAfter()
    {
        await _store.SaveAlertAsync(AlertIncidents.Incident(), "eqmon-web01", ["webhook"], CancellationToken.None);
        var dispatcher = Dispatcher(new ScriptedChannel("webhook", DeliveryResult.Transient("HTTP 429", TimeSpan.FromSeconds(120))));

        var attempt = Assert.Single(await dispatcher.DispatchDueAsync(CancellationToken.None));

        Assert.Equal(_time.GetUtcNow().AddSeconds(120), attempt.NextAttemptAt);
    }
}
