using BlueTeam.Alerting;
using BlueTeam.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BlueTeam.Cli.Monitoring;

/// <summary>
/// Stage 3: the outbox worker. Sends due deliveries when the pipeline stored new alerts, and at
/// least every second for retries that come due. Runs one last round at shutdown.
/// </summary>
internal sealed class DeliveryWorker : BackgroundService
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(1);
    private readonly DaemonRuntime _runtime;
    private readonly WakeSignal _wake;
    private readonly DaemonStats _stats;
    private readonly ILogger<DeliveryWorker> _logger;

    private readonly IAlertStore _store;

    public DeliveryWorker(DaemonRuntime runtime, WakeSignal wake, DaemonStats stats, SpoolingAlertStore store, ILogger<DeliveryWorker> logger)
    {
        _store = store;
        _runtime = runtime;
        _wake = wake;
        _stats = stats;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await RestoreHealthAsync(stoppingToken).ConfigureAwait(false);
        while (!stoppingToken.IsCancellationRequested)
        {
            await RoundAsync().ConfigureAwait(false);
            try
            {
                await _wake.WaitAsync(Idle, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }
        await RoundAsync().ConfigureAwait(false); // what the pipeline stored while draining
    }

    /// <summary>Which channels were failing before a restart, from the outbox, so self-monitoring neither forgets nor repeats.</summary>
    private async Task RestoreHealthAsync(CancellationToken ct)
    {
        try
        {
            await _runtime.Current.Health.RestoreAsync(_store, ct).ConfigureAwait(false);
        }
        catch (StoreException e)
        {
            _stats.StoreError();
            _logger.LogWarning("Delivery health not restored from the store (starting fresh): {Message}", e.Message);
        }
    }

    private async Task RoundAsync()
    {
        try
        {
            var parts = _runtime.Current;
            var attempts = await parts.Dispatcher.DispatchDueAsync(CancellationToken.None).ConfigureAwait(false);
            foreach (var attempt in attempts)
            {
                _stats.Channels.GetOrAdd(attempt.Channel, _ => new ChannelStats()).Record(attempt.Status);
                if (attempt.Status == DeliveryStatus.Delivered) _stats.DeliverySucceeded();
                else if (attempt.Status == DeliveryStatus.Failed) _stats.DeliveryFailedFinally();
            }
            // NIST 3.3.4: failing to deliver is itself an incident, sent down the channels that still work.
            foreach (var failure in parts.Health.Observe(attempts))
            {
                await parts.Engine.RaiseDeliveryFailureAsync(failure, parts.Health.IsHealthy, CancellationToken.None).ConfigureAwait(false);
                _stats.IncidentStored(isNew: true);
            }
        }
        catch (StoreException e)
        {
            // The outbox is in the store: nothing is lost while it is down, only late.
            _stats.StoreError();
            _logger.LogWarning("Outbox unavailable, deliveries wait: {Message}", e.Message);
        }
    }
}
