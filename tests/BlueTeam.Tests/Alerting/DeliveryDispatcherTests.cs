using BlueTeam.Alerting;
using BlueTeam.Core.Events;
using BlueTeam.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace BlueTeam.Tests.Alerting;

public sealed class DeliveryDispatcherTests
{
    private readonly FakeTimeProvider _time = new(AlertIncidents.Start);
    private readonly InMemoryAlertStore _store;
    // Jitter pinned to its top so delays are exact: base 5 s → 5 s, 10 s, 20 s, …
    private readonly DeliveryRetryOptions _retry = new() { Jitter = () => 1.0 };

    public DeliveryDispatcherTests() => _store = new InMemoryAlertStore(_time);

    private DeliveryDispatcher Dispatcher(params IAlertChannel[] channels) =>
        new(_store, channels.ToDictionary(c => c.Name), _time, _retry);

    private Task<AlertSaveResult> Queue(params string[] channels) => Queue(AlertIncidents.Incident(), channels);

    private Task<AlertSaveResult> Queue(SecurityIncident incident, params string[] channels) =>
        _store.SaveAlertAsync(incident, "eqmon-web01", channels, CancellationToken.None);

    [Fact]
    public async Task DispatchDueAsync_ChannelDelivers_MarksDeliveredAndCounts()
    {
        var saved = await Queue("syslog");
        var syslog = new ScriptedChannel("syslog", DeliveryResult.Delivered());
        var dispatcher = Dispatcher(syslog);

        var attempts = await dispatcher.DispatchDueAsync(CancellationToken.None);

        var attempt = Assert.Single(attempts);
        Assert.Equal(DeliveryStatus.Delivered, attempt.Status);
        Assert.Equal(1, attempt.Attempt);
        Assert.Equal(saved.AlertId, Assert.Single(syslog.Sent).Id);
        var row = Assert.Single(_store.Deliveries);
        Assert.Equal(DeliveryStatus.Delivered, row.Status);
        Assert.Equal(_time.GetUtcNow(), row.DeliveredAt);
        Assert.Equal(1, row.Attempts);
        Assert.Equal(1, dispatcher.Delivered);
        Assert.Empty(await dispatcher.DispatchDueAsync(CancellationToken.None));
    }

    [Fact]
    public async Task DispatchDueAsync_Transient_StaysPendingUntilBackoffElapses()
    {
        await Queue("email");
        var email = new ScriptedChannel("email", DeliveryResult.Transient("connection refused"));
        var dispatcher = Dispatcher(email);

        var first = Assert.Single(await dispatcher.DispatchDueAsync(CancellationToken.None));

        Assert.Equal(DeliveryStatus.Pending, first.Status);
        Assert.Equal(AlertIncidents.Start.AddSeconds(5), first.NextAttemptAt);
        var row = Assert.Single(_store.Deliveries);
        Assert.Equal("connection refused", row.LastError);
        Assert.Equal(AlertIncidents.Start.AddSeconds(5), row.NextAttemptAt);

        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.Empty(await dispatcher.DispatchDueAsync(CancellationToken.None));

        _time.Advance(TimeSpan.FromSeconds(1));
        var second = Assert.Single(await dispatcher.DispatchDueAsync(CancellationToken.None));
        Assert.Equal(2, second.Attempt);
        Assert.Equal(_time.GetUtcNow().AddSeconds(10), second.NextAttemptAt);
        Assert.Equal(2, email.Sent.Count);
        Assert.Equal(2, dispatcher.Retried);
        Assert.Equal(0, dispatcher.Failed);
    }

    [Fact]
    public async Task DispatchDueAsync_TransientUntilMaxAttempts_MarksFailed()
    {
        _retry.MaxAttempts = 3;
        await Queue("email");
        var dispatcher = Dispatcher(new ScriptedChannel("email", DeliveryResult.Transient("451 try later")));

        var attempts = new List<DeliveryAttempt>();
        for (var i = 0; i < 3; i++)
        {
            attempts.AddRange(await dispatcher.DispatchDueAsync(CancellationToken.None));
            _time.Advance(_retry.MaxDelay);
        }

        Assert.Equal([DeliveryStatus.Pending, DeliveryStatus.Pending, DeliveryStatus.Failed], attempts.Select(a => a.Status));
        var row = Assert.Single(_store.Deliveries);
        Assert.Equal(DeliveryStatus.Failed, row.Status);
        Assert.Equal(3, row.Attempts);
        Assert.Null(row.NextAttemptAt);
        Assert.Equal("gave up after 3 attempts: 451 try later", row.LastError);
        Assert.Equal(1, dispatcher.Failed);
        Assert.Equal(2, dispatcher.Retried);
        Assert.Empty(await dispatcher.DispatchDueAsync(CancellationToken.None));
    }

    [Fact]
    public async Task DispatchDueAsync_Permanent_MarksFailedAtOnce()
    {
        await Queue("email");
        var dispatcher = Dispatcher(new ScriptedChannel("email", DeliveryResult.Permanent("550 no such user")));

        var attempt = Assert.Single(await dispatcher.DispatchDueAsync(CancellationToken.None));

        Assert.Equal(DeliveryStatus.Failed, attempt.Status);
        Assert.Null(attempt.NextAttemptAt);
        var row = Assert.Single(_store.Deliveries);
        Assert.Equal(DeliveryStatus.Failed, row.Status);
        Assert.Equal("550 no such user", row.LastError);
        Assert.Equal(1, dispatcher.Failed);
    }

    [Fact]
    public async Task DispatchDueAsync_ChannelNoLongerConfigured_FailsChannelNotConfigured()
    {
        await Queue("email");
        var dispatcher = Dispatcher(new ScriptedChannel("syslog", DeliveryResult.Delivered()));

        var attempt = Assert.Single(await dispatcher.DispatchDueAsync(CancellationToken.None));

        Assert.Equal(DeliveryStatus.Failed, attempt.Status);
        Assert.Equal(DeliveryOutcome.Permanent, attempt.Outcome);
        Assert.Equal("channel not configured", Assert.Single(_store.Deliveries).LastError);
    }

    [Fact]
    public async Task DispatchDueAsync_ChannelThrows_LoggedAndRecordedAsTransient()
    {
        await Queue("console");
        var logger = new ListLogger<DeliveryDispatcher>();
        var broken = new ScriptedChannel("console", _ => throw new InvalidOperationException("bug in channel"));
        var dispatcher = new DeliveryDispatcher(_store, new Dictionary<string, IAlertChannel> { ["console"] = broken }, _time, _retry, logger);

        var attempt = Assert.Single(await dispatcher.DispatchDueAsync(CancellationToken.None));

        Assert.Equal(DeliveryOutcome.Transient, attempt.Outcome);
        Assert.Equal(DeliveryStatus.Pending, attempt.Status);
        Assert.Contains("bug in channel", attempt.Error, StringComparison.Ordinal);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Error && e.Exception is InvalidOperationException);
    }

    [Fact]
    public async Task DispatchDueAsync_ChannelDown_SkipsItsOtherDeliveriesButSendsTheOthers()
    {
        await Queue(AlertIncidents.Incident(fingerprint: "a"), "email", "syslog");
        await Queue(AlertIncidents.Incident(fingerprint: "b"), "email", "syslog");
        var email = new ScriptedChannel("email", DeliveryResult.Transient("timeout"));
        var syslog = new ScriptedChannel("syslog", DeliveryResult.Delivered());
        var dispatcher = Dispatcher(email, syslog);

        var attempts = await dispatcher.DispatchDueAsync(CancellationToken.None);

        Assert.Single(email.Sent);
        Assert.Equal(2, syslog.Sent.Count);
        Assert.Equal(3, attempts.Count);
        var untouched = _store.Deliveries.Single(d => d.Channel == "email" && d.Attempts == 0);
        Assert.Equal(DeliveryStatus.Pending, untouched.Status);
    }

    [Fact]
    public async Task DispatchDueAsync_SameErrorTwice_LogsTheChannelFailureOnce()
    {
        await Queue(AlertIncidents.Incident(fingerprint: "a"), "email");
        var logger = new ListLogger<DeliveryDispatcher>();
        var dispatcher = new DeliveryDispatcher(_store,
            new Dictionary<string, IAlertChannel> { ["email"] = new ScriptedChannel("email", DeliveryResult.Transient("refused")) }, _time, _retry, logger);

        await dispatcher.DispatchDueAsync(CancellationToken.None);
        _time.Advance(_retry.MaxDelay);
        await dispatcher.DispatchDueAsync(CancellationToken.None);

        Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task DrainAsync_MixedChannels_SendsEverythingDueAndStops()
    {
        for (var i = 0; i < 3; i++) await Queue(AlertIncidents.Incident(fingerprint: $"fp{i}"), "syslog", "console");
        var dispatcher = Dispatcher(new ScriptedChannel("syslog", DeliveryResult.Delivered()), new ScriptedChannel("console", DeliveryResult.Delivered()));

        var attempts = await dispatcher.DrainAsync(5, CancellationToken.None);

        Assert.Equal(6, attempts.Count);
        Assert.All(_store.Deliveries, d => Assert.Equal(DeliveryStatus.Delivered, d.Status));
        Assert.Equal(6, dispatcher.Delivered);
    }

    [Theory]
    [InlineData(1, 5)]
    [InlineData(2, 10)]
    [InlineData(4, 40)]
    [InlineData(8, 600)]
    [InlineData(1000, 600)]
    public void BackoffAfter_JitterAtTop_DoublesFromFiveSecondsCappedAtTenMinutes(int attempt, int expectedSeconds)
    {
        var options = new DeliveryRetryOptions { Jitter = () => 1.0 };

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), options.BackoffAfter(attempt));
    }

    [Fact]
    public void BackoffAfter_RandomJitter_StaysBetweenHalfAndFullDelay()
    {
        var options = new DeliveryRetryOptions();

        for (var i = 0; i < 200; i++)
        {
            var delay = options.BackoffAfter(3);
            Assert.InRange(delay, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20));
        }
    }
}
