using BlueTeam.Correlation.Fleet;
using BlueTeam.Correlation.State;
using BlueTeam.Parsing;
using BlueTeam.Response;
using BlueTeam.Sources;

namespace BlueTeam.Engine.Daemon;

/// <summary>
/// Stage 2: drives the <see cref="DetectionPipeline"/> over each queued line (parse → correlate), collects the
/// incidents of a batch of lines, raises them together (stored with their outbox rows in one transaction, then
/// the delivery workers are woken), and only then commits the checkpoints of those lines. When the queue is
/// idle it lets multi-record parsers (auditd) finish what they hold and lets wall-clock rules (absence) look at
/// the time. It drains the queue to its end on shutdown, so SIGTERM loses nothing.
/// </summary>
/// <remarks>
/// A line is committed only after its incidents are stored (or spooled): a crash replays the uncommitted lines,
/// and incidents are idempotent by fingerprint, so nothing is lost and nothing doubles. A batch ends after
/// <see cref="CommitEveryLines"/> lines, <see cref="CommitEvery"/>, or when the queue is empty, so on a quiet
/// host an incident is raised as soon as its line is read.
/// </remarks>
internal sealed class PipelineWorker : BackgroundService
{
    private const int CommitEveryLines = 2000;
    // A batch whose lines cause more incidents than this raises them in more than one transaction (still all
    // before its checkpoints are committed), so one transaction stays a few megabytes.
    private const int RaiseEveryIncidents = 1000;
    private static readonly TimeSpan CommitEvery = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan IdleFlush = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan TickEvery = TimeSpan.FromSeconds(1);

    private readonly LineQueue _queue;
    private readonly DaemonRuntime _runtime;
    private readonly ICheckpointStore _checkpoints;
    private readonly CheckpointTracker _tracker;
    private readonly DaemonStats _stats;
    private readonly WakeSignal _deliveryWake;
    private readonly TimeProvider _time;
    private readonly ILogger<PipelineWorker> _logger;
    private readonly ResponseStage _response; // [response #16]
    private readonly FleetSignalAggregator? _fleetSignals; // [fleet #19] null unless fleet.enabled
    private readonly List<SecurityEvent> _events = [];
    private readonly List<IncidentUpdate> _updates = [];
    private readonly List<SecurityIncident> _rendered = [];
    private readonly RaiseBatch _batch = new();
    private readonly Dictionary<string, ParseContext> _contexts = new(StringComparer.Ordinal);
    private readonly ReplayIndex _replayIndex = new();
    private DateTimeOffset _lastLine;
    private string _lastCollector = "";
    private CancellationToken _stopping;
    private readonly StateChangeLog _commitErrors = new();
    private readonly StateChangeLog _raiseErrors = new();
    private DateTimeOffset _lastTick;
    private bool _flushed = true;

    public PipelineWorker(LineQueue queue, DaemonRuntime runtime, ICheckpointStore checkpoints, DaemonStats stats, WakeSignal deliveryWake, TimeProvider time, ILogger<PipelineWorker> logger, ResponseStage response, FleetSignalAggregator? fleetSignals = null)
    {
        _fleetSignals = fleetSignals; // [fleet #19]
        _response = response; // [response #16]
        _queue = queue;
        _runtime = runtime;
        _checkpoints = checkpoints;
        _tracker = new CheckpointTracker(time);
        _stats = stats;
        _deliveryWake = deliveryWake;
        _time = time;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Deliberately not cancelled by stoppingToken: the source worker completes the queue at
        // shutdown, and this loop ends when everything queued has been processed.
        var ct = CancellationToken.None;
        _stopping = stoppingToken;
        var reader = _queue.Reader;
        while (true)
        {
            var more = await WaitForLinesAsync(TickEvery).ConfigureAwait(false);
            if (more is null) break; // queue completed and empty: shutdown
            if (more == true)
            {
                var sinceCommit = 0;
                var batchStart = _time.GetUtcNow();
                _contexts.Clear();
                while (reader.TryRead(out var line))
                {
                    Process(line);
                    if (_batch.Incidents.Count >= RaiseEveryIncidents) await RaiseAsync(ct).ConfigureAwait(false);
                    if (++sinceCommit >= CommitEveryLines || _time.GetUtcNow() - batchStart >= CommitEvery) break;
                }
                await CommitAsync(ct).ConfigureAwait(false);
            }
            await IdleWorkAsync(ct).ConfigureAwait(false);
            await SendHistoryDigestAsync(idle: more == false, ct).ConfigureAwait(false);
        }
        FlushParsers();
        await CommitAsync(ct).ConfigureAwait(false);
        await SendHistoryDigestAsync(idle: true, ct).ConfigureAwait(false);
        _logger.LogDebug("Pipeline drained");
    }

    /// <summary>True when lines are waiting, false after <paramref name="timeout"/> with none, null when the queue is finished.</summary>
    private async Task<bool?> WaitForLinesAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout, _time);
        try
        {
            return await _queue.Reader.WaitToReadAsync(cts.Token).ConfigureAwait(false) ? true : null;
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            return false; // idle
        }
    }

    private async Task IdleWorkAsync(CancellationToken ct)
    {
        // Positions that could not be committed while the store was down are retried even when no new line comes.
        if (_tracker.PendingCount > 0) await CommitAsync(ct).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        if (!_flushed && now - _lastLine >= IdleFlush) FlushParsers();
        if (now - _lastTick >= TickEvery)
        {
            _lastTick = now;
            _batch.Add([], _runtime.Current.Pipeline.Tick(now));
            await _response.SyncAsync(ct).ConfigureAwait(false); // [response #16] fleet bans from other hosts
        }
        await RaiseAsync(ct).ConfigureAwait(false);
    }

    private void FlushParsers()
    {
        _flushed = true;
        _events.Clear();
        _updates.Clear();
        // A rule error on a flushed event counts on the last source read (parsers are per format, not per
        // source, so nothing better is known); its record still names the event's own file and offset.
        _runtime.Current.Pipeline.Flush(_events, _updates, _lastCollector);
        for (var i = 0; i < _events.Count; i++) _stats.EventParsed();
        _batch.Add(_events, Render(_updates));
    }

    private ParseContext ContextFor(RawLine line)
    {
        if (_contexts.TryGetValue(line.Collector, out var context)) return context;
        var config = _runtime.Current.Config;
        config.Collectors.TryGetValue(line.Collector, out var collector);
        context = ParseContexts.For(collector, config, _time.GetUtcNow());
        _contexts[line.Collector] = context;
        return context;
    }

    private void Process(RawLine line)
    {
        var pipeline = _runtime.Current.Pipeline;
        _events.Clear();
        _updates.Clear();
        if (line.Replay)
        {
            // Processed before the restart: rebuild the rules' windows, raise nothing (already stored).
            pipeline.Process(line, ContextFor(line), _events, _updates);
            _batch.Add(_events, []); // [response #16] successful logins, replayed ones too
            foreach (var e in _events) _replayIndex.Record(line, e.Timestamp);
            _tracker.Processed(line);
            return;
        }
        var source = _stats.Sources.GetOrAdd(line.Collector, _ => new SourceStats());
        var now = _time.GetUtcNow();
        if (line.Kind == RawLineKind.Line)
        {
            _stats.LineRead();
            source.Line();
            source.LastLineAt = now;
            source.State = "ok";
            _lastLine = now;
            _lastCollector = line.Collector;
            _flushed = false;
        }
        else if (line.Kind == RawLineKind.CollectorError)
        {
            source.State = "error: " + line.Text; // `blueteam status` reports a source whose state starts with "error" as failing
        }

        var errors = pipeline.Errors.For(line.Collector);
        var errorsBefore = errors.Total;
        pipeline.Process(line, ContextFor(line), _events, _updates);
        _fleetSignals?.Observe(_events); // [fleet #19] replayed lines were published before the restart
        foreach (var e in _events)
        {
            _stats.EventParsed();
            _replayIndex.Record(line, e.Timestamp);
        }
        _batch.Add(_events, Render(_updates));
        if (line.Kind == RawLineKind.Line && source.Rate.Add(now, errors.Total - errorsBefore, _runtime.Current.Config.Monitoring.ParseErrorAlertCount))
            RaiseCollectorFailure(line, source, errors);
        _tracker.Processed(line); // a line a parser or a rule failed on advances too: after a restart it is not read again
    }

    /// <summary>
    /// The parsers or rules keep failing on this source's lines (<see cref="ErrorRate"/>): collector_failure, as for a
    /// tailer's collector error, raised with the batch of the line that crossed the limit.
    /// </summary>
    private void RaiseCollectorFailure(RawLine line, SourceStats source, SourceErrors errors)
    {
        var note = new RawLine
        {
            Collector = line.Collector, Type = line.Type, Path = line.Path, Kind = RawLineKind.CollectorError, Offset = line.Offset, EndOffset = line.Offset,
            Text = $"{line.Collector}: the parsers or rules failed on {source.Rate.Errors} of its last {source.Rate.Lines} lines within a minute (last: {errors.Last?.Reason})",
        };
        // Not tracked: the note has no position of its own to commit.
        source.State = "error: " + note.Text;
        _events.Clear();
        _updates.Clear();
        _runtime.Current.Pipeline.Process(note, ContextFor(note), _events, _updates);
        _batch.Add(_events, Render(_updates));
    }

    private List<SecurityIncident> Render(List<IncidentUpdate> updates)
    {
        _rendered.Clear();
        foreach (var update in updates) _rendered.Add(update.ToIncident());
        return _rendered;
    }

    /// <summary>
    /// First start only: once the backlog is read (the queue idle) the history held back goes out as one digest per
    /// channel (<see cref="Alerting.FirstStartDigest"/>). A store failure keeps it held for the next try.
    /// </summary>
    private async Task SendHistoryDigestAsync(bool idle, CancellationToken ct)
    {
        try
        {
            if (await _runtime.Current.Engine.SendHistoryDigestAsync(idle, ct).ConfigureAwait(false) is { } digest)
            {
                _stats.IncidentStored(digest.IsNew);
                _deliveryWake.Set();
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Logged and counted by the engine; the history stays held and the digest is tried again at the next idle moment.
            _logger.LogDebug("History digest not stored yet: {Message}", e.Message);
        }
    }

    /// <summary>
    /// Raises the batch's incidents together (one transaction), counts them, then lets the response stage see
    /// each line's events and stored incidents in line order, and wakes the delivery workers.
    /// </summary>
    private async Task RaiseAsync(CancellationToken ct)
    {
        if (_batch.IsEmpty) return;
        var incidents = _batch.Incidents;
        if (incidents.Count > 0)
        {
            var results = await RaiseUntilAcceptedAsync(incidents, ct).ConfigureAwait(false);
            for (var i = 0; i < results.Count; i++)
            {
                var result = results[i];
                if (result.AlertId == SpoolingAlertStore.SpooledAlertId) _stats.IncidentSpooled(); // store down: kept in the spool
                else _stats.IncidentStored(result.IsNew);
                _stats.Recent(incidents[i], result.IsNew);
            }
        }
        if (_response.Enabled) // [response #16] bans after the incidents are stored, line by line
        {
            foreach (var (events, raised) in _batch.Lines())
            {
                _response.Observe(events);
                if (raised.Count > 0) await _response.HandleAsync(raised, ct).ConfigureAwait(false);
            }
        }
        var any = incidents.Count > 0;
        _batch.Clear();
        if (any) _deliveryWake.Set();
    }

    /// <summary>
    /// Neither the store nor the spool took the incidents (e.g. the disk is full): keep them and try
    /// again, holding the queue (back-pressure reaches the tailers) rather than dropping them or
    /// crashing into a restart loop. At shutdown, give up on them without committing their lines, so
    /// they are read again after the restart. The batch is stored in one transaction and retried whole:
    /// the saves are idempotent by fingerprint, so a retry loses nothing and doubles nothing.
    /// </summary>
    private async Task<IReadOnlyList<Alerting.RaisedAlert>> RaiseUntilAcceptedAsync(IReadOnlyList<SecurityIncident> incidents, CancellationToken ct)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                var raised = await _runtime.Current.Engine.RaiseAllAsync(incidents, ct).ConfigureAwait(false);
                if (_raiseErrors.Succeeded()) _logger.LogInformation("Incidents are being stored again");
                return raised;
            }
            catch (StoreException e)
            {
                _stats.StoreError();
                if (_raiseErrors.Failed(e.Message))
                    _logger.LogError("Cannot keep incident {Fingerprint} (and {Others} more raised with it; store and spool both failing), holding the pipeline and retrying: {Message}",
                        incidents[0].Fingerprint, incidents.Count - 1, e.Message);
                await Task.Delay(delay, _time, _stopping).ConfigureAwait(false); // cancelled at shutdown: the lines stay uncommitted
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    /// <summary>Raises what the processed lines found, then commits their positions: never a position before its incidents.</summary>
    private async Task CommitAsync(CancellationToken ct)
    {
        await RaiseAsync(ct).ConfigureAwait(false);
        if (_tracker.PendingCount == 0) return;
        var oldestOpen = _runtime.Current.Pipeline.Correlator.OldestOpenEventTime;
        var pending = _tracker.Take().Select(c => _replayIndex.WithReplayFrom(c, oldestOpen)).ToList();
        try
        {
            await _checkpoints.SaveCheckpointsAsync(pending, ct).ConfigureAwait(false);
        }
        catch (StoreException e)
        {
            // Not committed: after a crash these lines are read again (their incidents are
            // idempotent by fingerprint). Keep the positions to commit with the next batch.
            _stats.StoreError();
            _tracker.Return(pending);
            if (_commitErrors.Failed(e.Message)) _logger.LogWarning("Checkpoint commit failed, will retry: {Message}", e.Message);
            return;
        }
        if (_commitErrors.Succeeded()) _logger.LogInformation("Checkpoints committed again");
    }
}
