using BlueTeam.Storage.Sealing;

namespace BlueTeam.Engine.Daemon;

/// <summary>
/// Seals this host's audit chain at the daemon's start, at the end of every epoch and at its stop
/// (<see cref="ChainSealer"/>), and announces the chain head to syslog at each epoch's seal. Without a
/// sealing state the daemon runs unsealed: it says so at start, and the heartbeat shows
/// <c>sealing: unsealed: …</c> in <c>status</c>. A state that was there and is gone is tampering, and
/// raises audit_store_tampered.
/// </summary>
internal sealed class SealWorker(ChainSealer sealer, DaemonRuntime runtime, IBlueTeamStore store, DaemonStats stats, TimeProvider time, ILogger<SealWorker> logger)
    : BackgroundService
{
    // How often the worker looks again while there is no state (keys init may create one meanwhile) or after an error.
    private static readonly TimeSpan Recheck = TimeSpan.FromMinutes(1);

    private readonly ChainHeadAnnouncer _announcer = new();
    private bool _hadState;
    private readonly StateChangeLog _errors = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Here rather than in StartAsync: a signal during the host's start cancels a StartAsync that does I/O, and the host
        // then never stops (SQLite's async calls run synchronously, hence the yield). Not cancelled by the stop either: a seal
        // half made is worse than a stop a moment longer.
        await Task.Yield();
        await RunAsync(() => sealer.SealAtStartAsync(CancellationToken.None), "at start").ConfigureAwait(false);
        if (!_hadState && _errors.LastError is null) // an unreadable state was said as an error already
            logger.LogWarning("Sealing is OFF: no sealing state at {Path}; the history is hash-chained but not sealed. Run blueteam keys init to seal it", sealer.StatePath);
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            var wait = Recheck;
            if (_errors.LastError is null && SafeNextEpochEnd() is { } next) wait = next - now;
            if (!await StopAwareDelay.WaitAsync(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, time, stoppingToken).ConfigureAwait(false)) break;
            if (await RunAsync(() => sealer.SealNowAsync(CancellationToken.None), "at the epoch's end").ConfigureAwait(false))
                await _announcer.AnnounceAsync(runtime.Current.Config, store, time.GetUtcNow(), logger, CancellationToken.None, force: true).ConfigureAwait(false);
        }
        // The stop's seal covers the last incidents the pipeline drained (this worker stops after it).
        await RunAsync(() => sealer.SealNowAsync(CancellationToken.None), "at stop").ConfigureAwait(false);
    }

    private DateTimeOffset? SafeNextEpochEnd()
    {
        try
        {
            return sealer.NextEpochEnd();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return null; // said by the next sealing, which reads the same file
        }
    }

    /// <returns>Whether a seal was made.</returns>
    private async Task<bool> RunAsync(Func<Task<SealOutcome?>> seal, string when)
    {
        try
        {
            var outcome = await seal().ConfigureAwait(false);
            if (outcome is null)
            {
                stats.Sealing = $"unsealed: no sealing state at {sealer.StatePath} (blueteam keys init)";
                if (_hadState) await RaiseStateGoneAsync().ConfigureAwait(false);
                _hadState = false;
                return false;
            }
            _hadState = true;
            stats.Sealing = $"sealed: epoch {outcome.Epoch} at entry {outcome.Seq}";
            logger.LogInformation("Audit chain sealed {When}: epoch {Epoch} covers entry {Seq} ({Seals} seals)", when, outcome.Epoch, outcome.Seq, outcome.Seals);
            if (_errors.Succeeded()) logger.LogInformation("Sealing works again");
            return true;
        }
        catch (Exception e) when (e is StoreException or IOException or InvalidDataException or UnauthorizedAccessException)
        {
            stats.Sealing = "failing: " + e.Message;
            if (_errors.Failed(e.Message)) logger.LogError("Audit chain not sealed {When}: {Message}", when, e.Message);
            return false;
        }
    }

    private async Task RaiseStateGoneAsync()
    {
        var parts = runtime.Current;
        var incident = StoreIntegrityIncidents.Tampered(parts.Config.Host, $"the sealing state {sealer.StatePath} disappeared", store.Description, time.GetUtcNow());
        logger.LogCritical("The sealing state {Path} disappeared while the daemon ran: raised audit_store_tampered", sealer.StatePath);
        var raised = await parts.Engine.RaiseAsync(incident, CancellationToken.None).ConfigureAwait(false);
        stats.IncidentStored(raised.IsNew);
        if (raised.IsNew) stats.Recent(incident);
    }
}
