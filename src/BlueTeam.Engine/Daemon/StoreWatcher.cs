using BlueTeam.Alerting;
using BlueTeam.Storage.Sealing;

namespace BlueTeam.Engine.Daemon;

/// <summary>
/// The daemon watches its own store (NIST SP 800-171 3.3.8): every <c>storage.watch_interval_sec</c> it checks that
/// the SQLite file it writes is still the one at the path (not deleted, not replaced by a new inode), that this
/// host's chain did not shrink, and that the entry it saw last still has the hash it had (a rewound sequence
/// re-filled with other entries). Any of them raises a critical audit_store_tampered at once (the delivery
/// worker is woken). A deleted or replaced file is recreated: what the old file held is read back through the
/// watch's open handle and stored again, each alert with only the deliveries it still owed, so nothing is lost and
/// nothing is delivered twice; then the new chain is sealed.
/// </summary>
/// <remarks>
/// Rows deleted inside the file are not put back (the watcher keeps no copy of them); the incident, the seals and
/// the anchors say what is gone. On PostgreSQL only the chain is watched: there is no file.
/// </remarks>
internal sealed class StoreWatcher(IBlueTeamStore store, ChainSealer sealer, DaemonRuntime runtime, DaemonStats stats, WakeSignal deliveryWake, TimeProvider time, ILogger<StoreWatcher> logger)
    : BackgroundService
{
    private SqliteFileWatch? _file;
    private ChainHead? _seen;
    private readonly StateChangeLog _errors = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Set up here, not in StartAsync (a signal during the host's start would cancel it and leave the host unstoppable).
        await Task.Yield();
        if (store is SqliteStore sqlite) _file = sqlite.Watch();
        _seen = await store.GetChainHeadAsync(runtime.Current.Config.Host, CancellationToken.None).ConfigureAwait(false);
        while (!stoppingToken.IsCancellationRequested)
        {
            var interval = runtime.Current.Config.Storage.WatchInterval;
            if (interval <= TimeSpan.Zero) interval = TimeSpan.FromMinutes(1); // off: look again for a reload that turns it on
            if (!await StopAwareDelay.WaitAsync(interval, time, stoppingToken).ConfigureAwait(false)) break;
            if (runtime.Current.Config.Storage.WatchIntervalSec == 0) continue;
            try
            {
                await CheckAsync().ConfigureAwait(false);
                if (_errors.Succeeded()) logger.LogInformation("Store watch works again");
            }
            catch (Exception e) when (e is StoreException or IOException or UnauthorizedAccessException or InvalidDataException)
            {
                stats.StoreError();
                if (_errors.Failed(e.Message)) logger.LogWarning("Store watch failed, retried at the next interval: {Message}", e.Message);
            }
        }
        _file?.Dispose();
    }

    private async Task CheckAsync()
    {
        var host = runtime.Current.Config.Host;
        if (_file is { } file && file.Check() is var state && state != StoreFileState.Intact)
        {
            await RecreateAsync(file, state).ConfigureAwait(false);
            return;
        }
        var head = await store.GetChainHeadAsync(host, CancellationToken.None).ConfigureAwait(false);
        if (_seen is { } seen)
        {
            string? what = null;
            if (head is null || head.Seq < seen.Seq)
                what = $"the chain of {host} shrank from {seen.Seq} entries to {head?.Seq ?? 0}";
            else
            {
                var stored = await store.GetEntryHashesAsync(host, [seen.Seq], CancellationToken.None).ConfigureAwait(false);
                if (stored.TryGetValue(seen.Seq, out var hash) ? hash != seen.Hash : !await PrunedAsync(host, seen.Seq).ConfigureAwait(false))
                    what = $"entry {seen.Seq} of the chain of {host} was replaced (the sequence was rewound and written again)";
            }
            if (what is not null)
            {
                await RaiseAsync(what).ConfigureAwait(false);
                await SealAsync().ConfigureAwait(false);
                head = await store.GetChainHeadAsync(host, CancellationToken.None).ConfigureAwait(false);
            }
        }
        _seen = head;
    }

    /// <summary>Whether retention removed the entry (a prune that verify checks like the rest of the chain).</summary>
    private async Task<bool> PrunedAsync(string host, long seq) =>
        await store.GetLatestPruneAsync(host, CancellationToken.None).ConfigureAwait(false) is { } prune && prune.PrunedThrough >= seq;

    private async Task RecreateAsync(SqliteFileWatch old, StoreFileState state)
    {
        var sqlite = (SqliteStore)store;
        // Read before anything else: the held connection is the only way back into the old file.
        var held = old.ReadHeld();
        var moved = await sqlite.RecreateAsync(CancellationToken.None).ConfigureAwait(false);
        old.Dispose();
        _file = sqlite.Watch();
        var what = state == StoreFileState.Deleted
            ? $"the store file {sqlite.FilePath} was deleted"
            : $"the store file {sqlite.FilePath} was replaced by another file (kept as {string.Join(", ", moved)})";
        await RaiseAsync(what).ConfigureAwait(false);

        var saves = held.Select(h => new AlertSaveRequest(h.Incident, h.Host, h.PendingChannels)).ToList();
        foreach (var batch in saves.Chunk(500))
            await store.SaveAlertsAsync(batch, CancellationToken.None).ConfigureAwait(false);
        logger.LogWarning("Store recreated at {Path}: {Count} alerts read back from the old file and stored again ({Pending} deliveries still owed)",
            sqlite.FilePath, saves.Count, saves.Sum(s => s.Channels.Count));
        deliveryWake.Set();
        await SealAsync().ConfigureAwait(false);
        _seen = await store.GetChainHeadAsync(runtime.Current.Config.Host, CancellationToken.None).ConfigureAwait(false);
    }

    private async Task RaiseAsync(string what)
    {
        var parts = runtime.Current;
        var incident = StoreIntegrityIncidents.Tampered(parts.Config.Host, what, store.Description, time.GetUtcNow());
        logger.LogCritical("Audit store tampered with: {What}; raised audit_store_tampered", what);
        var raised = await parts.Engine.RaiseAsync(incident, CancellationToken.None).ConfigureAwait(false);
        stats.IncidentStored(raised.IsNew);
        if (raised.IsNew) stats.Recent(incident);
        deliveryWake.Set();
    }

    private async Task SealAsync()
    {
        try
        {
            await sealer.SealNowAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is StoreException or IOException or InvalidDataException or UnauthorizedAccessException)
        {
            logger.LogError("The store was tampered with and could not be sealed again: {Message}", e.Message);
        }
    }
}
