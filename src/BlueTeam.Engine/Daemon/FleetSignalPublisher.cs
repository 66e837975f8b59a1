using BlueTeam.Correlation.Fleet;
using BlueTeam.Storage.Fleet;

namespace BlueTeam.Engine.Daemon;

/// <summary>
/// Publishes this host's fleet signals about once a second: what the pipeline counted in the
/// <see cref="FleetSignalAggregator"/> goes out as one multi-row insert, under this host's name. While the
/// store is down the counts are kept (merged with new ones, bounded by the aggregator) and sent when it is back.
/// </summary>
/// <remarks>Registered before the pipeline worker, so it stops after it and publishes what the drain counted.</remarks>
internal sealed class FleetSignalPublisher(FleetSignalAggregator aggregator, SignalsStore store, string host, FleetStats stats, TimeProvider time, ILogger<FleetSignalPublisher> logger)
    : BackgroundService
{
    private static readonly TimeSpan PublishEvery = TimeSpan.FromSeconds(1);

    private readonly StateChangeLog _errors = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            if (!await StopAwareDelay.WaitAsync(PublishEvery, time, stoppingToken).ConfigureAwait(false)) break;
            await PublishAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await PublishAsync(CancellationToken.None).ConfigureAwait(false); // what the pipeline's drain counted
    }

    private async Task PublishAsync(CancellationToken ct)
    {
        var signals = aggregator.Take(host);
        if (signals.Count == 0) return;
        try
        {
            await store.PublishAsync(signals, ct).ConfigureAwait(false);
            stats.Published(signals.Count);
            if (_errors.Succeeded()) logger.LogInformation("Fleet signals are published again");
        }
        catch (StoreException e)
        {
            aggregator.Return(signals);
            stats.PublishFailed();
            if (_errors.Failed(e.Message)) logger.LogWarning("Fleet signals not published, kept for the next try: {Message}", e.Message);
        }
    }
}
