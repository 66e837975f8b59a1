using BlueTeam.Correlation.Fleet;
using BlueTeam.Storage.Fleet;

namespace BlueTeam.Engine.Daemon;

/// <summary>
/// Takes part in the fleet correlator election: every fleet daemon runs one, and the one whose session
/// holds the advisory lock correlates (<see cref="FleetCorrelator"/>), woken by LISTEN/NOTIFY and by a timer.
/// The others try again every <c>fleet.election_retry_sec</c>, so when the leader dies (its session ends,
/// the lock is freed) another takes over within that time.
/// </summary>
/// <remarks>
/// A lost session (the database restarted, the network broke) ends the leadership; the worker logs it and
/// goes back to the election. Leaders come and go without losing a signal: the cursor is in the store.
/// </remarks>
internal sealed class FleetCorrelatorWorker(DaemonRuntime runtime, SignalsStore signals, DaemonStats stats, FleetStats fleetStats, WakeSignal deliveryWake, TimeProvider time, ILogger<FleetCorrelatorWorker> logger)
    : BackgroundService
{
    private readonly StateChangeLog _errors = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var config = runtime.Current.Config;
            try
            {
                await using (var session = await signals.TryLeadAsync(config.Host, stoppingToken).ConfigureAwait(false))
                {
                    if (session is not null) await LeadAsync(session, stoppingToken).ConfigureAwait(false);
                }
                if (_errors.Succeeded()) logger.LogInformation("Fleet correlator election reachable again");
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (StoreException e)
            {
                stats.StoreError();
                if (_errors.Failed(e.Message)) logger.LogWarning("Fleet correlation interrupted, back to the election: {Message}", e.Message);
            }
            if (!await StopAwareDelay.WaitAsync(config.Fleet.ElectionRetry, time, stoppingToken).ConfigureAwait(false)) break;
        }
    }

    private async Task LeadAsync(SignalsLeaderSession session, CancellationToken ct)
    {
        var config = runtime.Current.Config;
        var rules = FleetRuleCatalog.Build(config.Fleet);
        var correlator = new FleetCorrelator(session, rules, FleetRuleCatalog.Retention(rules, config.Fleet),
            TimeSpan.FromHours(config.Fleet.KeepSignalsHours), config.Host,
            async (incidents, token) =>
            {
                var raised = await runtime.Current.Engine.RaiseAllAsync(incidents, token).ConfigureAwait(false);
                for (var i = 0; i < raised.Count; i++)
                {
                    stats.IncidentStored(raised[i].IsNew);
                    stats.Recent(incidents[i], raised[i].IsNew);
                }
                deliveryWake.Set();
                return raised;
            }, time, logger);
        await correlator.StartAsync(ct).ConfigureAwait(false);
        fleetStats.Leads(true);
        logger.LogInformation("Fleet correlator elected: {Host} correlates the fleet's signals from #{Cursor} ({Rules})",
            config.Host, correlator.Cursor, string.Join(", ", rules.Select(r => r.Name)));
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var read = await correlator.RunOnceAsync(ct).ConfigureAwait(false);
                fleetStats.Read(read);
                if (read == FleetCorrelator.ReadBatch) continue; // more waiting
                await session.WaitAsync(config.Fleet.Poll, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            fleetStats.Leads(false);
            logger.LogInformation("Fleet correlator {Host} steps down at #{Cursor} ({Read} signals read, {Raised} fleet incidents raised or updated)",
                config.Host, correlator.Cursor, correlator.SignalsRead, correlator.Raised);
        }
    }
}
