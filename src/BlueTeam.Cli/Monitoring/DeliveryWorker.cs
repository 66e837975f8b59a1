using BlueTeam.Engine.Daemon;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BlueTeam.Cli.Monitoring;

/// <summary>
/// Stage 3: the outbox. One <see cref="ChannelDeliveryWorker"/> per channel, each with its own
/// wake-up queue, retry and backoff, so a channel stuck in a send (an SMTP server that accepts and
/// never answers) delays no other. This worker wakes them when the pipeline stored new alerts, and
/// at least every second for retries that come due; at shutdown every channel runs one last round,
/// all at once.
/// </summary>
internal sealed class DeliveryWorker(DaemonRuntime runtime, WakeSignal wake, DaemonStats stats, SpoolingAlertStore store, ILogger<DeliveryWorker> logger)
    : BackgroundService
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(1);
    // The last round at shutdown: a channel still stuck after this keeps its rows pending for the
    // next start (delivery is at least once), instead of holding the daemon's exit for its timeout.
    private static readonly TimeSpan FinalRoundLimit = TimeSpan.FromSeconds(5);

    // Channel name → its worker and the task running it; touched only by ExecuteAsync's loop.
    private readonly Dictionary<string, (ChannelDeliveryWorker Worker, Task Running)> _workers = new(StringComparer.Ordinal);

    // Delivery health is one state machine across channels, and raising its incident stores rows
    // for the other channels: the workers take turns here (rare, and never during a send).
    private readonly SemaphoreSlim _healthGate = new(1, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await RestoreHealthAsync(stoppingToken).ConfigureAwait(false);
        while (!stoppingToken.IsCancellationRequested)
        {
            await StartAndWakeAsync(stoppingToken).ConfigureAwait(false);
            try
            {
                await wake.WaitAsync(Idle, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }
        await Task.WhenAll(_workers.Values.Select(w => w.Running)).ConfigureAwait(false);
        // What the pipeline stored while draining, every channel at once so a stuck one holds no other.
        using var limit = new CancellationTokenSource(FinalRoundLimit);
        await Task.WhenAll(_workers.Values.Select(w => FinalRoundAsync(w.Worker, limit.Token))).ConfigureAwait(false);
    }

    /// <summary>
    /// Makes sure every configured channel, and every channel with rows due (one no longer configured,
    /// whose rows are failed at once), has a running worker, and wakes them all.
    /// </summary>
    private async Task StartAndWakeAsync(CancellationToken stoppingToken)
    {
        // The running workers first: new alerts should not wait for the store query below.
        foreach (var (worker, _) in _workers.Values) worker.Wake();
        var names = new HashSet<string>(runtime.Current.Dispatcher.ConfiguredChannels, StringComparer.Ordinal);
        try
        {
            names.UnionWith(await store.GetDueChannelsAsync(DateTimeOffset.UtcNow, stoppingToken).ConfigureAwait(false));
        }
        catch (StoreException e)
        {
            // The outbox is in the store: nothing is lost while it is down, only late.
            stats.StoreError();
            logger.LogWarning("Outbox unavailable, deliveries wait: {Message}", e.Message);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        foreach (var name in names)
        {
            if (_workers.ContainsKey(name)) continue;
            var worker = new ChannelDeliveryWorker(name, () => runtime.Current.Dispatcher, ObserveAsync, OnRoundError, Idle);
            _workers[name] = (worker, Task.Run(() => worker.RunAsync(stoppingToken), CancellationToken.None));
            worker.Wake();
        }
    }

    private async Task FinalRoundAsync(ChannelDeliveryWorker worker, CancellationToken limit)
    {
        try
        {
            await worker.RoundAsync(limit).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested)
        {
            logger.LogWarning("Delivery to {Channel} still in progress at shutdown; its pending rows are sent after the next start", worker.ChannelName);
        }
        catch (StoreException e)
        {
            OnRoundError(worker.ChannelName, e);
        }
    }

    /// <summary>Which channels were failing before a restart, from the outbox, so self-monitoring neither forgets nor repeats.</summary>
    private async Task RestoreHealthAsync(CancellationToken ct)
    {
        try
        {
            await runtime.Current.Health.RestoreAsync(store, ct).ConfigureAwait(false);
        }
        catch (StoreException e)
        {
            stats.StoreError();
            logger.LogWarning("Delivery health not restored from the store (starting fresh): {Message}", e.Message);
        }
    }

    private async Task ObserveAsync(IReadOnlyList<DeliveryAttempt> attempts, CancellationToken cancellationToken)
    {
        foreach (var attempt in attempts)
        {
            stats.Channels.GetOrAdd(attempt.Channel, _ => new ChannelStats()).Record(attempt.Status);
            if (attempt.Status == DeliveryStatus.Delivered) stats.DeliverySucceeded();
            else if (attempt.Status == DeliveryStatus.Failed) stats.DeliveryFailedFinally();
        }
        var raised = false;
        await _healthGate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            var parts = runtime.Current;
            // NIST 3.3.4: failing to deliver is itself an incident, sent down the channels that still work.
            foreach (var failure in parts.Health.Observe(attempts))
            {
                await parts.Engine.RaiseDeliveryFailureAsync(failure, parts.Health.IsHealthy, CancellationToken.None).ConfigureAwait(false);
                stats.IncidentStored(isNew: true);
                raised = true;
            }
        }
        finally
        {
            _healthGate.Release();
        }
        if (raised) wake.Set(); // its deliveries wait in the other channels' outbox rows
    }

    private void OnRoundError(string channel, Exception e)
    {
        if (e is StoreException)
        {
            // The outbox is in the store: nothing is lost while it is down, only late.
            stats.StoreError();
            logger.LogWarning("Outbox unavailable, deliveries to {Channel} wait: {Message}", channel, e.Message);
            return;
        }
        logger.LogError(e, "Delivery round for {Channel} failed; retrying in {Pause}", channel, Idle);
    }
}
