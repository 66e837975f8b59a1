using BlueTeam.Alerting;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Tests.Support;
using Microsoft.Extensions.Logging;

namespace BlueTeam.Tests.Alerting;

public sealed class AlertEngineTests
{
    private readonly InMemoryAlertStore _store = new();
    private readonly AlertEngine _engine;

    public AlertEngineTests()
    {
        var router = new AlertRouter(new AlertingOptions(), ["console", "syslog", "email"]);
        _engine = new AlertEngine(router, _store, "eqmon-web01");
    }

    [Theory]
    [InlineData(Severity.Info)]
    [InlineData(Severity.Low)]
    [InlineData(Severity.Medium)]
    [InlineData(Severity.High)]
    [InlineData(Severity.Critical)]
    public async Task RaiseAsync_AnySeverity_StoresTheIncident(Severity severity)
    {
        var incident = AlertIncidents.Incident(severity);

        var raised = await _engine.RaiseAsync(incident, CancellationToken.None);

        var stored = Assert.Single(_store.Alerts);
        Assert.Equal(raised.AlertId, stored.Id);
        Assert.Equal(incident, stored.Incident);
        Assert.Equal("eqmon-web01", stored.Host);
        Assert.True(raised.IsNew);
    }

    [Fact]
    public async Task RaiseAsync_Info_StoredWithoutDeliveries()
    {
        var raised = await _engine.RaiseAsync(AlertIncidents.Incident(Severity.Info), CancellationToken.None);

        Assert.Empty(raised.Route);
        Assert.Single(_store.Alerts);
        Assert.Empty(_store.Deliveries);
    }

    [Fact]
    public async Task RaiseAsync_CriticalNew_QueuesOnePendingDeliveryPerRoutedChannel()
    {
        var raised = await _engine.RaiseAsync(AlertIncidents.Incident(Severity.Critical), CancellationToken.None);

        Assert.Equal(["email", "syslog", "console"], raised.Route);
        Assert.Equal(["email", "syslog", "console"], _store.Deliveries.Select(d => d.Channel));
        Assert.All(_store.Deliveries, d => Assert.Equal(DeliveryStatus.Pending, d.Status));
    }

    [Fact]
    public async Task RaiseAsync_SameFingerprintTwice_CountsNewThenUpdatedWithoutNewDeliveries()
    {
        var first = AlertIncidents.Incident(Severity.High, fingerprint: "fp-1");
        var second = first with { EventCount = 40, LastSeen = first.LastSeen.AddMinutes(5) };

        var a = await _engine.RaiseAsync(first, CancellationToken.None);
        var b = await _engine.RaiseAsync(second, CancellationToken.None);

        Assert.True(a.IsNew);
        Assert.False(b.IsNew);
        Assert.Equal(a.AlertId, b.AlertId);
        Assert.Equal(40, Assert.Single(_store.Alerts).Incident.EventCount);
        Assert.Equal(2, _store.Deliveries.Count);
        Assert.Equal(2, _engine.IncidentsRaised);
        Assert.Equal(1, _engine.NewAlerts);
        Assert.Equal(1, _engine.UpdatedAlerts);
        Assert.Equal(0, _engine.StoreFailures);
    }

    [Fact]
    public async Task RaiseAsync_StoreThrows_LogsCountsAndRethrows()
    {
        var logger = new ListLogger<AlertEngine>();
        var router = new AlertRouter(new AlertingOptions(), ["syslog"]);
        var engine = new AlertEngine(router, new BrokenStore(), "eqmon-web01", logger);

        var e = await Assert.ThrowsAsync<IOException>(() => engine.RaiseAsync(AlertIncidents.Incident(fingerprint: "fp-lost"), CancellationToken.None));

        Assert.Equal("disk full", e.Message);
        Assert.Equal(1, engine.StoreFailures);
        Assert.Equal(0, engine.IncidentsRaised);
        var entry = Assert.Single(logger.Entries, x => x.Level == LogLevel.Error);
        Assert.Same(e, entry.Exception);
        Assert.Contains("fp-lost", entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RaiseAsync_Cancelled_ThrowsWithoutCountingAFailure()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _engine.RaiseAsync(AlertIncidents.Incident(), cts.Token));

        Assert.Equal(0, _engine.StoreFailures);
        Assert.Empty(_store.Alerts);
    }

    /// <summary>A store whose disk is full.</summary>
    internal sealed class BrokenStore : IAlertStore
    {
        public Task<AlertSaveResult> SaveAlertAsync(SecurityIncident incident, string host, IReadOnlyCollection<string> channels, CancellationToken cancellationToken) =>
            Task.FromException<AlertSaveResult>(new IOException("disk full"));
        public Task<IReadOnlyList<AlertSaveResult>> SaveAlertsAsync(IReadOnlyList<AlertSaveRequest> saves, CancellationToken cancellationToken) =>
            Task.FromException<IReadOnlyList<AlertSaveResult>>(new IOException("disk full"));
        public Task<IReadOnlyList<PendingDelivery>> GetDueDeliveriesAsync(DateTimeOffset now, int max, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task RecordDeliveryAttemptAsync(long deliveryId, DeliveryStatus status, string? error, DateTimeOffset attemptedAt, DateTimeOffset? nextAttemptAt, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<IReadOnlyList<AlertRecord>> ListAlertsAsync(AlertQuery query, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<AlertRecord?> GetAlertAsync(long id, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<IReadOnlyList<DeliveryRecord>> GetDeliveriesAsync(long alertId, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
