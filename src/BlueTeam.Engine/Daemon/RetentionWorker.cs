namespace BlueTeam.Engine.Daemon;

/// <summary>
/// Prunes this host's history older than <c>storage.retention.days</c> ten seconds after the start and then every
/// <c>interval_hours</c> (read again at each run, so a reload turns it on or off). Off (0 days) by default. Each prune
/// is one transaction that also writes its record to the chain (<see cref="Storage.Retention.IRetentionStore"/>).
/// </summary>
/// <remarks>
/// In a fleet whose hosts connect with their own roles, a host may not delete history: leave the days at 0 on the
/// hosts and let an administrator run <c>blueteam db prune --all-hosts</c>. A failing prune is logged when its error
/// changes and counted as a store error in <c>status</c>; nothing is lost by a prune that did not happen.
/// </remarks>
internal sealed class RetentionWorker(IBlueTeamStore store, DaemonRuntime runtime, DaemonStats stats, TimeProvider time, ILogger<RetentionWorker> logger)
    : BackgroundService
{
    // Soon after the start (the history is read-mostly then), not at once: start-up has the store to itself first.
    private static readonly TimeSpan FirstRun = TimeSpan.FromSeconds(10);
    private readonly StateChangeLog _failures = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var wait = FirstRun;
        while (!stoppingToken.IsCancellationRequested)
        {
            if (!await StopAwareDelay.WaitAsync(wait, time, stoppingToken).ConfigureAwait(false)) break;
            var options = runtime.Current.Config.Storage.Retention;
            wait = TimeSpan.FromHours(options.IntervalHours);
            if (options.Days > 0) await PruneAsync(runtime.Current.Config.Host, options.Days).ConfigureAwait(false);
        }
    }

    private async Task PruneAsync(string host, int days)
    {
        try
        {
            var outcome = await store.PruneAsync(host, days, time.GetUtcNow(), dryRun: false, CancellationToken.None).ConfigureAwait(false);
            if (_failures.Succeeded()) logger.LogInformation("Retention works again");
            if (outcome.Record is { } record)
                logger.LogInformation("Retention ({Days} days): {What}", days, record.Describe());
        }
        catch (StoreException e)
        {
            stats.StoreError();
            if (_failures.Failed(e.Message)) logger.LogError("Retention ({Days} days) failed, tried again in {Hours} h: {Message}", days, runtime.Current.Config.Storage.Retention.IntervalHours, e.Message);
        }
    }
}
