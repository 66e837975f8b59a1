using BlueTeam.Alerting;
using BlueTeam.Correlation.Fleet;
using BlueTeam.Storage.Fleet;

namespace BlueTeam.Engine.Daemon;

/// <summary>
/// What the elected daemon does while it leads: reads the fleet's signals after the durable cursor, runs the
/// fleet rules over the window, records new and continued fleet incidents with the cursor (one transaction on
/// the leader's session), then raises them through the alert engine. One instance per leadership.
/// </summary>
/// <remarks>
/// A new leader first rebuilds the window from the signals the last one had already read (so a spray that
/// spans the failover is seen whole) and loads the open fleet incidents (so it continues them instead of
/// raising them again). Incidents recorded but not raised (a leader that died in between) are raised by it.
/// An open incident raised by another daemon is continued in the shared state but not raised again: its alert
/// row is the other daemon's, which a host role may not update (and a second row would be a second alert for one attack).
/// </remarks>
internal sealed class FleetCorrelator
{
    public const int ReadBatch = 5000;

    private readonly SignalsLeaderSession _session;
    private readonly IReadOnlyList<IFleetRule> _rules;
    private readonly Func<IReadOnlyList<SecurityIncident>, CancellationToken, Task<IReadOnlyList<RaisedAlert>>> _raise;
    private readonly string _host;
    private readonly TimeSpan _retention;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly FleetWindow _window;
    private readonly TimeSpan _keepSignals;
    private readonly Dictionary<(string Rule, string Key), FleetEpisode> _open = [];
    private readonly List<(FleetEpisode Episode, FleetFinding Finding)> _unraised = [];
    private long _cursor;
    private DateTimeOffset _prunedAt = DateTimeOffset.MinValue;
    private static readonly TimeSpan PruneEvery = TimeSpan.FromMinutes(10);

    public FleetCorrelator(SignalsLeaderSession session, IReadOnlyList<IFleetRule> rules, TimeSpan retention, string host,
        Func<IReadOnlyList<SecurityIncident>, CancellationToken, Task<IReadOnlyList<RaisedAlert>>> raise, TimeProvider time, ILogger logger)
        : this(session, rules, retention, TimeSpan.FromHours(24), host, raise, time, logger)
    {
    }

    public FleetCorrelator(SignalsLeaderSession session, IReadOnlyList<IFleetRule> rules, TimeSpan retention, TimeSpan keepSignals, string host,
        Func<IReadOnlyList<SecurityIncident>, CancellationToken, Task<IReadOnlyList<RaisedAlert>>> raise, TimeProvider time, ILogger logger)
    {
        // Kept at least as long as a new leader's window reaches back.
        _keepSignals = keepSignals > retention ? keepSignals : retention;
        _session = session;
        _rules = rules;
        _retention = retention;
        _host = host;
        _raise = raise;
        _time = time;
        _logger = logger;
        _window = new FleetWindow(retention);
    }

    /// <summary>The id of the last signal read.</summary>
    public long Cursor => _cursor;

    /// <summary>Incidents raised (new or updated) by this leadership.</summary>
    public long Raised { get; private set; }

    /// <summary>Signals read by this leadership (the warm-up excluded).</summary>
    public long SignalsRead { get; private set; }

    /// <summary>Loads the cursor, the window behind it and the open incidents; raises what a dead leader recorded but did not raise.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        _cursor = await _session.ReadCursorAsync(ct).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        _window.Add(await _session.ReadWindowAsync(now - _retention, _cursor, ct).ConfigureAwait(false));
        foreach (var episode in await _session.ReadEpisodesAsync(now - 2 * _retention, ct).ConfigureAwait(false))
        {
            // Several episodes of one group: the latest is the open one.
            if (_open.TryGetValue((episode.RuleName, episode.Key), out var other) && other.FirstSeen > episode.FirstSeen) continue;
            _open[(episode.RuleName, episode.Key)] = episode;
        }
        foreach (var episode in _open.Values.Where(e => !e.Raised).ToList())
        {
            if (_rules.FirstOrDefault(r => r.Name == episode.RuleName) is not { } rule) continue;
            var finding = Recompute(rule, episode);
            _unraised.Add((episode with { RaisedBy = _host }, finding));
            _logger.LogWarning("Fleet incident {Rule} for {Key} was recorded by {Host} but not raised: raising it now", episode.RuleName, Core.Text.SafeText.Inert(episode.Key), episode.RaisedBy);
        }
        await RaisePendingAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Reads and correlates one batch of new signals; the number read (a full batch means more are waiting).</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await RaisePendingAsync(ct).ConfigureAwait(false);
        await PruneAsync(ct).ConfigureAwait(false);
        var batch = await _session.ReadAfterAsync(_cursor, ReadBatch, ct).ConfigureAwait(false);
        if (batch.Count == 0) return 0;
        SignalsRead += batch.Count;
        _window.Add(batch);
        var changed = new List<FleetEpisode>();
        var toRaise = new List<(FleetEpisode, FleetFinding)>();
        foreach (var rule in _rules)
        {
            foreach (var finding in rule.Evaluate(_window, batch))
            {
                _open.TryGetValue((rule.Name, finding.Key), out var open);
                var (decision, episode) = FleetEpisodes.Decide(finding, open, rule.Window, _host);
                if (decision == FleetDecision.Unchanged) continue;
                _open[(rule.Name, finding.Key)] = episode;
                changed.Add(episode);
                if (decision == FleetDecision.New || episode.RaisedBy == _host) toRaise.Add((episode, finding));
                else _logger.LogDebug("Fleet incident {Fingerprint} grew; it was raised by {Host}, which keeps it", episode.Fingerprint, episode.RaisedBy);
            }
        }
        await _session.CommitAsync(batch[^1].Id, changed, ct).ConfigureAwait(false);
        _cursor = batch[^1].Id;
        _unraised.AddRange(toRaise);
        await RaisePendingAsync(ct).ConfigureAwait(false);
        ForgetClosed();
        return batch.Count;
    }

    /// <summary>
    /// Raises the recorded incidents not raised yet. The engine spools when the store is down; if even that fails
    /// they stay pending and are tried again with the next batch (the shared state says they are unraised, so a
    /// successor would raise them too).
    /// </summary>
    private async Task RaisePendingAsync(CancellationToken ct)
    {
        if (_unraised.Count == 0) return;
        var incidents = _unraised.Select(u => FleetIncident.Create(u.Episode, u.Finding, _host)).ToList();
        try
        {
            await _raise(incidents, ct).ConfigureAwait(false);
        }
        catch (StoreException e)
        {
            _logger.LogWarning("Fleet incidents not raised yet, will retry: {Message}", e.Message);
            return;
        }
        Raised += incidents.Count;
        var fingerprints = _unraised.Where(u => !u.Episode.Raised).Select(u => u.Episode.Fingerprint).Distinct(StringComparer.Ordinal).ToList();
        foreach (var (episode, _) in _unraised)
            if (_open.TryGetValue((episode.RuleName, episode.Key), out var open) && open.Fingerprint == episode.Fingerprint)
                _open[(episode.RuleName, episode.Key)] = open with { Raised = true, RaisedBy = episode.RaisedBy };
        _unraised.Clear();
        await _session.MarkRaisedAsync(fingerprints, ct).ConfigureAwait(false);
    }

    private FleetFinding Recompute(IFleetRule rule, FleetEpisode episode)
    {
        return FleetFinding.Over(rule.Id, rule.Name, rule.KeyField, episode.Key, rule.Group(_window, episode.Key), rule.Window, TimeSpan.Zero)
            ?? new FleetFinding(rule.Id, rule.Name, rule.KeyField, episode.Key, episode.Hosts.Select(h => new FleetHostCount(h.Key, h.Value)).ToList(), [], episode.FirstSeen, episode.LastSeen);
    }

    /// <summary>Every 10 minutes, deletes signals already read and older than fleet.keep_signals_hours (wall-clock: the table's growth is).</summary>
    private async Task PruneAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        if (now - _prunedAt < PruneEvery) return;
        _prunedAt = now;
        var deleted = await _session.PruneAsync(now - _keepSignals, _cursor, ct).ConfigureAwait(false);
        if (deleted > 0) _logger.LogInformation("Deleted {Count} fleet signals older than {Hours} h", deleted, _keepSignals.TotalHours);
    }

    // An incident whose group has been quiet for longer than twice the retention can no longer be continued.
    private void ForgetClosed()
    {
        var horizon = _window.Newest - 2 * _retention;
        foreach (var key in _open.Where(o => o.Value.LastSeen < horizon).Select(o => o.Key).ToList()) _open.Remove(key);
    }
}
