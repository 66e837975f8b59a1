using BlueTeam.Parsing;
using BlueTeam.Sources;
using BlueTeam.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BlueTeam.Cli.Monitoring;

/// <summary>
/// Stage 2: parse → correlate → store (with its outbox rows) for each queued line, then commit
/// the checkpoints of the lines whose incidents are stored. It drains the queue to its end on
/// shutdown, so SIGTERM loses nothing and commits everything it read.
/// </summary>
internal sealed class PipelineWorker : BackgroundService
{
    private const int CommitEveryLines = 2000;
    private static readonly TimeSpan CommitEvery = TimeSpan.FromSeconds(1);

    private readonly LineQueue _queue;
    private readonly DaemonRuntime _runtime;
    private readonly ICheckpointStore _checkpoints;
    private readonly CheckpointTracker _tracker;
    private readonly DaemonStats _stats;
    private readonly WakeSignal _deliveryWake;
    private readonly TimeProvider _time;
    private readonly ILogger<PipelineWorker> _logger;

    public PipelineWorker(LineQueue queue, DaemonRuntime runtime, ICheckpointStore checkpoints, DaemonStats stats, WakeSignal deliveryWake, TimeProvider time, ILogger<PipelineWorker> logger)
    {
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
        var sinceCommit = 0;
        var lastCommit = _time.GetUtcNow();
        var context = NewContext();
        await foreach (var line in _queue.Reader.ReadAllAsync(ct).ConfigureAwait(false))
        {
            await ProcessAsync(line, context, ct).ConfigureAwait(false);
            sinceCommit++;
            var now = _time.GetUtcNow();
            if (sinceCommit >= CommitEveryLines || now - lastCommit >= CommitEvery || _queue.Depth == 0)
            {
                await CommitAsync(ct).ConfigureAwait(false);
                sinceCommit = 0;
                lastCommit = now;
                context = NewContext();
            }
        }
        await CommitAsync(ct).ConfigureAwait(false);
        _logger.LogDebug("Pipeline drained");
    }

    private ParseContext NewContext() => new() { Now = _time.GetUtcNow(), DefaultHost = _runtime.Current.Config.Host };

    private async Task ProcessAsync(RawLine line, ParseContext context, CancellationToken ct)
    {
        var parts = _runtime.Current;
        var source = _stats.Sources.GetOrAdd(line.Collector, _ => new SourceStats());
        if (line.Kind == RawLineKind.Line)
        {
            _stats.LineRead();
            source.Line();
            source.LastLineAt = _time.GetUtcNow();
            source.State = "ok";
        }
        else if (line.Kind == RawLineKind.CollectorError)
        {
            source.State = line.Text;
        }

        var (e, incidents) = parts.Pipeline.Process(line, context);
        if (e is not null) _stats.EventParsed();
        var raised = false;
        foreach (var incident in incidents)
        {
            var result = await parts.Engine.RaiseAsync(incident, ct).ConfigureAwait(false);
            if (result.AlertId == SpoolingAlertStore.SpooledAlertId) _stats.IncidentSpooled(); // store down: kept in the spool
            else _stats.IncidentStored(result.IsNew);
            raised = true;
        }
        if (raised) _deliveryWake.Set();
        _tracker.Processed(line);
    }

    private async Task CommitAsync(CancellationToken ct)
    {
        if (_tracker.PendingCount == 0) return;
        var pending = _tracker.Take();
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
            _logger.LogWarning("Checkpoint commit failed, will retry: {Message}", e.Message);
        }
    }
}
