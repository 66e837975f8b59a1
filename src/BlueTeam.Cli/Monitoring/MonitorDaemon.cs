using System.Diagnostics;
using System.Threading.Channels;
using BlueTeam.Alerting;
using BlueTeam.Cli.Pipeline;
using BlueTeam.Core.Config;
using BlueTeam.Parsing;
using BlueTeam.Sources;
using BlueTeam.Storage;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace BlueTeam.Cli.Monitoring;

/// <summary>What the daemon needs, composed by the monitor command.</summary>
internal sealed record MonitorParts(
    BlueTeamConfig Config,
    Func<IReadOnlyList<ISource>> CreateSources,
    IReadOnlyList<string> WatchedPaths,
    EventPipeline Pipeline,
    AlertEngine Engine,
    DeliveryDispatcher Dispatcher,
    IBlueTeamStore Store,
    int RuleCount,
    IAnsiConsole Console,
    TimeProvider Time,
    ILogger Logger);

/// <summary>
/// The seed's monitor loop, made dependable: collect → parse → correlate → store + alert → deliver
/// → commit checkpoints, once per wake-up (a watched file changed, or the poll interval passed).
/// Checkpoints are committed only after the incidents of the lines before them are stored, so a
/// crash re-reads rather than loses. SIGINT/SIGTERM finish the cycle under way, then print the
/// session summary.
/// </summary>
internal sealed class MonitorDaemon
{
    private const int QueueCapacity = 8192;
    private readonly MonitorParts _p;
    private readonly CheckpointTracker _tracker;
    private IReadOnlyList<ISource> _sources;

    public MonitorDaemon(MonitorParts parts)
    {
        _p = parts;
        _tracker = new CheckpointTracker(parts.Time);
        _sources = parts.CreateSources();
    }

    public long EventsCollected { get; private set; }
    public long IncidentsDetected { get; private set; }
    public long IncidentUpdates { get; private set; }
    public long Delivered { get; private set; }
    public long DeliveryFailures { get; private set; }
    public long CycleFailures { get; private set; }

    public async Task<int> RunAsync(CancellationToken stop)
    {
        var started = _p.Time.GetUtcNow();
        var console = _p.Console;
        console.MarkupLine("[bold green]Blue Team Monitor Started[/]");
        console.MarkupLine($"  Collectors: {_sources.Count} enabled");
        console.MarkupLine($"  Rules: {_p.RuleCount} active");
        console.MarkupLine($"  Poll interval: {_p.Config.Monitoring.PollIntervalSec}s");
        console.MarkupLine($"  Store: {Markup.Escape(_p.Store.Description)}");
        console.MarkupLine("  Press Ctrl+C to stop");
        console.WriteLine();

        using var wake = new FileChangeSignal(_p.WatchedPaths);
        while (!stop.IsCancellationRequested)
        {
            await CycleAsync().ConfigureAwait(false);
            try
            {
                await wake.WaitAsync(_p.Config.Monitoring.PollInterval, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break; // shutdown requested while idle
            }
        }

        console.WriteLine();
        console.MarkupLine("[bold yellow]Monitor stopped.[/]");
        var uptime = _p.Time.GetUtcNow() - started;
        console.MarkupLine("[bold]Session Summary:[/]");
        console.MarkupLine($"  Uptime: {uptime:d\\.hh\\:mm\\:ss}");
        console.MarkupLine($"  Events collected: {EventsCollected}");
        console.MarkupLine($"  Incidents detected: {IncidentsDetected} ({IncidentUpdates} updates)");
        console.MarkupLine($"  Alerts delivered: {Delivered}");
        console.MarkupLine($"  Deliveries failed: {DeliveryFailures}");
        if (CycleFailures > 0) console.MarkupLine($"  Cycles failed (store errors, retried): {CycleFailures}");
        return ExitCodes.Ok;
    }

    /// <summary>
    /// One pass. Runs to the end even when shutdown is requested meanwhile (it is short, and
    /// finishing it is what lets the checkpoints be committed): the drain of SIGTERM.
    /// </summary>
    internal async Task CycleAsync()
    {
        var ct = CancellationToken.None;
        try
        {
            var queue = Channel.CreateBounded<RawLine>(new BoundedChannelOptions(QueueCapacity)
            {
                SingleReader = true,
                SingleWriter = true,
                FullMode = BoundedChannelFullMode.Wait, // back-pressure: the tailers wait, nothing is dropped
            });
            var producer = ProduceAsync(queue.Writer, ct);
            var context = new ParseContext { Now = _p.Time.GetUtcNow(), DefaultHost = _p.Config.Host };
            await foreach (var line in queue.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                var (e, incidents) = _p.Pipeline.Process(line, context);
                if (e is not null) EventsCollected++;
                foreach (var incident in incidents)
                {
                    var raised = await _p.Engine.RaiseAsync(incident, ct).ConfigureAwait(false);
                    if (raised.IsNew) IncidentsDetected++; else IncidentUpdates++;
                }
                _tracker.Processed(line);
            }
            await producer.ConfigureAwait(false);

            foreach (var attempt in await _p.Dispatcher.DispatchDueAsync(ct).ConfigureAwait(false))
            {
                if (attempt.Status == DeliveryStatus.Delivered) Delivered++;
                else if (attempt.Status == DeliveryStatus.Failed) DeliveryFailures++;
            }
            if (_tracker.PendingCount > 0)
                await _p.Store.SaveCheckpointsAsync(_tracker.Take(), ct).ConfigureAwait(false);
        }
        catch (StoreException e)
        {
            // The store is down or refused a write. Nothing is committed, so rewind the sources to
            // the last committed checkpoints and try again at the next wake-up.
            CycleFailures++;
            _p.Logger.LogError(e, "Store error, cycle will be retried: {Message}", e.Message);
            _tracker.Take();
            _sources = _p.CreateSources();
        }
    }

    private async Task ProduceAsync(ChannelWriter<RawLine> writer, CancellationToken ct)
    {
        try
        {
            foreach (var source in _sources) await source.PollAsync(writer, ct).ConfigureAwait(false);
        }
        finally
        {
            writer.Complete();
        }
    }
}
