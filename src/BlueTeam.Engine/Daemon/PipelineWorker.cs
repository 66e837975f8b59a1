using BlueTeam.Core.Events;
using BlueTeam.Parsing;
using BlueTeam.Response;
using BlueTeam.Sources;
using BlueTeam.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BlueTeam.Engine.Daemon;

/// <summary>
/// Stage 2: parse → correlate → store (with its outbox rows) for each queued line, then commit
/// the checkpoints of the lines whose incidents are stored. When the queue is idle it lets
/// multi-record parsers (auditd) finish what they hold and lets wall-clock rules (absence) look
/// at the time. It drains the queue to its end on shutdown, so SIGTERM loses nothing.
/// </summary>
internal sealed class PipelineWorker : BackgroundService
{
    private const int CommitEveryLines = 2000;
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
    private readonly List<SecurityEvent> _events = [];
    private readonly List<SecurityIncident> _incidents = [];
    private readonly Dictionary<string, ParseContext> _contexts = new(StringComparer.Ordinal);
    private readonly ReplayIndex _replayIndex = new();
    private DateTimeOffset _lastLine;
    private CancellationToken _stopping;
    private readonly Core.Diagnostics.StateChangeLog<string> _parseErrors = new(StringComparer.Ordinal);
    private string? _lastCommitError;
    private string? _lastRaiseError;
    private DateTimeOffset _lastTick;
    private bool _flushed = true;

    public PipelineWorker(LineQueue queue, DaemonRuntime runtime, ICheckpointStore checkpoints, DaemonStats stats, WakeSignal deliveryWake, TimeProvider time, ILogger<PipelineWorker> logger, ResponseStage response)
    {
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
                    await ProcessAsync(line, ct).ConfigureAwait(false);
                    if (++sinceCommit >= CommitEveryLines || _time.GetUtcNow() - batchStart >= CommitEvery) break;
                }
                await CommitAsync(ct).ConfigureAwait(false);
            }
            await IdleWorkAsync(ct).ConfigureAwait(false);
        }
        await FlushParsersAsync(ct).ConfigureAwait(false);
        await CommitAsync(ct).ConfigureAwait(false);
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
        if (!_flushed && now - _lastLine >= IdleFlush) await FlushParsersAsync(ct).ConfigureAwait(false);
        if (now - _lastTick >= TickEvery)
        {
            _lastTick = now;
            _incidents.Clear();
            _incidents.AddRange(_runtime.Current.Pipeline.Correlator.Tick(now));
            await RaiseAsync(ct).ConfigureAwait(false);
            await _response.SyncAsync(ct).ConfigureAwait(false); // [response #16] fleet bans from other hosts
        }
    }

    private async Task FlushParsersAsync(CancellationToken ct)
    {
        _flushed = true;
        _events.Clear();
        _incidents.Clear();
        _runtime.Current.Pipeline.Flush(_events, _incidents);
        for (var i = 0; i < _events.Count; i++) _stats.EventParsed();
        await RaiseAsync(ct).ConfigureAwait(false);
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

    private async Task ProcessAsync(RawLine line, CancellationToken ct)
    {
        if (line.Replay)
        {
            // Processed before the restart: rebuild the rules' windows, raise nothing (already stored).
            _events.Clear();
            _incidents.Clear();
            _runtime.Current.Pipeline.Process(line, ContextFor(line), _events, _incidents);
            _response.Observe(_events); // [response #16] successful logins, replayed ones too
            foreach (var e in _events) _replayIndex.Record(line, e.Timestamp);
            _incidents.Clear();
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
            _flushed = false;
        }
        else if (line.Kind == RawLineKind.CollectorError)
        {
            source.State = "error: " + line.Text; // `blueteam status` reports a source whose state starts with "error" as failing
        }

        _events.Clear();
        _incidents.Clear();
        var pipeline = _runtime.Current.Pipeline;
        var errorsBefore = pipeline.ParseErrors.Total;
        pipeline.Process(line, ContextFor(line), _events, _incidents);
        _response.Observe(_events); // [response #16]
        foreach (var e in _events)
        {
            _stats.EventParsed();
            _replayIndex.Record(line, e.Timestamp);
        }
        await RaiseAsync(ct).ConfigureAwait(false);
        if (line.Kind == RawLineKind.Line) await CountParseErrorsAsync(line, source, now, pipeline.ParseErrors.Total - errorsBefore, ct).ConfigureAwait(false);
        _tracker.Processed(line); // a line a parser failed on advances too: after a restart it is not read again
    }

    /// <summary>
    /// A line the parsers failed on is skipped and counted on its source (status shows it), logged when
    /// the reason changes; past <see cref="Core.Config.MonitoringOptions.ParseErrorAlertCount"/> failed lines in a
    /// minute, and at least a tenth of the source's lines, the source is failing: collector_failure, once a minute.
    /// </summary>
    private async Task CountParseErrorsAsync(RawLine line, SourceStats source, DateTimeOffset now, long failed, CancellationToken ct)
    {
        if (now - source.RateWindowStart >= TimeSpan.FromMinutes(1))
        {
            source.RateWindowStart = now;
            source.RateLines = source.RateErrors = 0;
            source.RateRaised = false;
        }
        source.RateLines++;
        if (failed == 0) return;
        var error = _runtime.Current.Pipeline.ParseErrors.Recent()[^1];
        source.ParseError(error.Reason);
        source.RateErrors += failed;
        if (_parseErrors.Failed(line.Collector, error.Reason))
            _logger.LogWarning("{Collector}: a parser failed on the line at {Path}:{Offset}; the line is skipped and counted: {Reason}",
                line.Collector, error.Path, error.Offset, error.Reason);
        var limit = _runtime.Current.Config.Monitoring.ParseErrorAlertCount;
        if (limit == 0 || source.RateRaised || source.RateErrors < limit || source.RateErrors * 10 < source.RateLines) return;
        source.RateRaised = true;
        var note = new RawLine
        {
            Collector = line.Collector, Type = line.Type, Path = line.Path, Kind = RawLineKind.CollectorError, Offset = line.Offset, EndOffset = line.Offset,
            Text = $"{line.Collector}: the parsers failed on {source.RateErrors} of its last {source.RateLines} lines within a minute (last: {error.Reason})",
        };
        // Raised like a tailer's collector error, but not tracked: the note has no position of its own to commit.
        source.State = "error: " + note.Text;
        _events.Clear();
        _incidents.Clear();
        _runtime.Current.Pipeline.Process(note, ContextFor(note), _events, _incidents);
        await RaiseAsync(ct).ConfigureAwait(false);
    }

    private async Task RaiseAsync(CancellationToken ct)
    {
        if (_incidents.Count == 0) return;
        var results = await RaiseUntilAcceptedAsync(_incidents, ct).ConfigureAwait(false);
        for (var i = 0; i < results.Count; i++)
        {
            var result = results[i];
            if (result.AlertId == SpoolingAlertStore.SpooledAlertId) _stats.IncidentSpooled(); // store down: kept in the spool
            else _stats.IncidentStored(result.IsNew);
            if (result.IsNew) _stats.Recent(_incidents[i]);
        }
        await _response.HandleAsync(_incidents, ct).ConfigureAwait(false); // [response #16] bans after the incidents are stored
        _incidents.Clear();
        _deliveryWake.Set();
    }

    /// <summary>
    /// Neither the store nor the spool took the incidents (e.g. the disk is full): keep them and try
    /// again, holding the queue (back-pressure reaches the tailers) rather than dropping them or
    /// crashing into a restart loop. At shutdown, give up on them without committing their line, so
    /// it is read again after the restart. Several incidents at once (a tick, a parser flush) are
    /// raised as one batch, stored in one transaction and retried whole: the saves are idempotent
    /// by fingerprint, so a retry loses nothing and doubles nothing.
    /// </summary>
    private async Task<IReadOnlyList<Alerting.RaisedAlert>> RaiseUntilAcceptedAsync(List<SecurityIncident> incidents, CancellationToken ct)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                var engine = _runtime.Current.Engine;
                IReadOnlyList<Alerting.RaisedAlert> raised = incidents.Count == 1
                    ? [await engine.RaiseAsync(incidents[0], ct).ConfigureAwait(false)]
                    : await engine.RaiseAllAsync(incidents, ct).ConfigureAwait(false);
                if (_lastRaiseError is not null) _logger.LogInformation("Incidents are being stored again");
                _lastRaiseError = null;
                return raised;
            }
            catch (StoreException e)
            {
                _stats.StoreError();
                if (_lastRaiseError != e.Message)
                    _logger.LogError("Cannot keep incident {Fingerprint} (and {Others} more raised with it; store and spool both failing), holding the pipeline and retrying: {Message}",
                        incidents[0].Fingerprint, incidents.Count - 1, e.Message);
                _lastRaiseError = e.Message;
                await Task.Delay(delay, _time, _stopping).ConfigureAwait(false); // cancelled at shutdown: the line stays uncommitted
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    private async Task CommitAsync(CancellationToken ct)
    {
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
            if (_lastCommitError != e.Message) _logger.LogWarning("Checkpoint commit failed, will retry: {Message}", e.Message); // once per distinct error
            _lastCommitError = e.Message;
            return;
        }
        if (_lastCommitError is not null) _logger.LogInformation("Checkpoints committed again");
        _lastCommitError = null;
    }
}
