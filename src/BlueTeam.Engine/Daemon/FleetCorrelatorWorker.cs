using BlueTeam.Core.Diagnostics;
using BlueTeam.Correlation.Fleet;
using BlueTeam.Storage;
using BlueTeam.Storage.Fleet;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

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
internal sealed class FleetCorrelatorWorker : BackgroundService
{
    private readonly DaemonRuntime _runtime;
    private readonly SignalsStore _signals;
    private readonly DaemonStats _stats;
    private readonly FleetStats _fleetStats;
    private readonly WakeSignal _deliveryWake;
    private readonly TimeProvider _time;
    private readonly ILogger<FleetCorrelatorWorker> _logger;
    private readonly StateChangeLog _errors = new();

    public FleetCorrelatorWorker(DaemonRuntime runtime, SignalsStore signals, DaemonStats stats, FleetStats fleetStats, WakeSignal deliveryWake, TimeProvider time, ILogger<FleetCorrelatorWorker> logger)
    {
        _fleetStats = fleetStats;
        _runtime = runtime;
        _signals = signals;
        _stats = stats;
        _deliveryWake = deliveryWake;
        _time = time;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var config = _runtime.Current.Config;
            try
            {
                await using (var session = await _signals.TryLeadAsync(config.Host, stoppingToken).ConfigureAwait(false))
                {
                    if (session is not null) await LeadAsync(session, stoppingToken).ConfigureAwait(false);
                }
                if (_errors.Succeeded()) _logger.LogInformation("Fleet correlator election reachable again");
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (StoreException e)
            {
                _stats.StoreError();
                if (_errors.Failed(e.Message)) _logger.LogWarning("Fleet correlation interrupted, back to the election: {Message}", e.Message);
            }
            try
            {
                await Task.Delay(config.Fleet.ElectionRetry, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }
    }

    private async Task LeadAsync(SignalsLeaderSession session, CancellationToken ct)
    {
        var config = _runtime.Current.Config;
        var rules = FleetRuleCatalog.Build(config.Fleet);
        var correlator = new FleetCorrelator(session, rules, FleetRuleCatalog.Retention(rules, config.Fleet),
            TimeSpan.FromHours(config.Fleet.KeepSignalsHours), config.Host,
            async (incidents, token) =>
            {
                var raised = await _runtime.Current.Engine.RaiseAllAsync(incidents, token).ConfigureAwait(false);
                for (var i = 0; i < raised.Count; i++)
                {
                    _stats.IncidentStored(raised[i].IsNew);
                    _stats.Recent(incidents[i], raised[i].IsNew);
                }
                _deliveryWake.Set();
                return raised;
            }, _time, _logger);
        await correlator.StartAsync(ct).ConfigureAwait(false);
        _fleetStats.Leads(true);
        _logger.LogInformation("Fleet correlator elected: {Host} correlates the fleet's signals from #{Cursor} ({Rules})",
            config.Host, correlator.Cursor, string.Join(", ", rules.Select(r => r.Name)));
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var read = await correlator.RunOnceAsync(ct).ConfigureAwait(false);
                _fleetStats.Read(read);
                if (read == FleetCorrelator.ReadBatch) continue; // more waiting
                await session.WaitAsync(config.Fleet.Poll, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            _fleetStats.Leads(false);
            _logger.LogInformation("Fleet correlator {Host} steps down at #{Cursor} ({Read} signals read, {Raised} fleet incidents raised or updated)",
                config.Host, correlator.Cursor, correlator.SignalsRead, correlator.Raised);
        }
    }
}
