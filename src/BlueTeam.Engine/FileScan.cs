using System.Runtime.InteropServices;
using BlueTeam.Correlation.State;

namespace BlueTeam.Engine;

/// <summary>What a scan found: lines read, events parsed, and the latest state of each incident in the order first found.</summary>
internal sealed record FileScanResult(long Lines, long Events, IReadOnlyList<IncidentUpdate> Incidents)
{
    /// <summary>Events parsed but left out by the scan's time range (scan --since/--until), not correlated.</summary>
    public long OutsideRange { get; init; }
}

/// <summary>
/// The pipeline over finished files, as <c>scan</c> runs it: read and parse on a thread of their own
/// (<see cref="ParsingStage"/>), correlate on the caller's, in exactly the order one loop would, and keep the
/// latest update of each incident (a scan reports final states, rendered once at the end). With one core
/// available, one loop does both.
/// </summary>
internal static class FileScan
{
    /// <param name="pipeline">The pipeline to drive (its rules keep their state across the files, as the daemon's do).</param>
    /// <param name="files">The logs, in order.</param>
    /// <param name="onEvents">Called with each batch of parsed events, in order (scan --emit events); null to skip it.</param>
    /// <param name="progress">Bytes done, called from the parsing thread; null for none.</param>
    /// <param name="ct">Stops both threads.</param>
    /// <param name="include">Which parsed events go on to the rules (scan --since/--until, on @timestamp); null for all.
    /// Left-out events are dropped before correlation, so no window counts them.</param>
    /// <param name="twoThreads">Parse and correlate on two threads; null to decide by the cores available (<see cref="UseTwoThreads"/>).</param>
    /// <exception cref="UnreadableFileException">A file could not be opened or read.</exception>
    public static async Task<FileScanResult> RunAsync(DetectionPipeline pipeline, IReadOnlyList<LogFile> files,
        Func<IReadOnlyList<SecurityEvent>, Task>? onEvents, Action<long>? progress, CancellationToken ct, Func<SecurityEvent, bool>? include = null,
        bool? twoThreads = null)
    {
        var scan = new Collected(pipeline, onEvents, include);
        if (!(twoThreads ?? UseTwoThreads))
        {
            // One core: a second thread would only take turns with this one, and pay for the hand-off.
            var count = new ParsingStage.LineCount();
            foreach (var batch in ParsingStage.Read(files, pipeline, progress, count, ct)) await scan.TakeAsync(batch).ConfigureAwait(false);
            return scan.Result(count.Lines);
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var parsing = ParsingStage.Start(files, pipeline, progress, stop.Token);
        try
        {
            await foreach (var batch in parsing.Batches.ReadAllAsync(ct).ConfigureAwait(false)) await scan.TakeAsync(batch).ConfigureAwait(false);
        }
        finally
        {
            // Whatever ended this loop (done, an error here, cancellation), the reading thread must not wait on a full queue.
            await stop.CancelAsync().ConfigureAwait(false);
        }
        return scan.Result(await parsing.Lines.ConfigureAwait(false));
    }

    /// <summary>
    /// Parse and correlate on two threads only when the process may run on two cores at once
    /// (<see cref="Environment.ProcessorCount"/> follows the affinity mask and the cgroup's CPU limit).
    /// </summary>
    internal static bool UseTwoThreads => Environment.ProcessorCount > 1;

    /// <summary>The correlating side: batches in line order in, the latest update of each incident out.</summary>
    private sealed class Collected(DetectionPipeline pipeline, Func<IReadOnlyList<SecurityEvent>, Task>? onEvents, Func<SecurityEvent, bool>? include)
    {
        private readonly Dictionary<string, IncidentUpdate> _latest = new(StringComparer.Ordinal);
        private readonly List<string> _order = [];
        private readonly List<IncidentUpdate> _found = [];
        private long _events, _outside;

        public Task TakeAsync(List<SecurityEvent> batch)
        {
            if (include is not null) _outside += batch.RemoveAll(e => !include(e));
            foreach (var e in batch) pipeline.Correlate(e, _found, ParsingStage.Collector);
            _events += batch.Count;
            foreach (var update in _found)
            {
                ref var last = ref CollectionsMarshal.GetValueRefOrAddDefault(_latest, update.Fingerprint, out var seen);
                if (!seen) _order.Add(update.Fingerprint);
                last = update;
            }
            _found.Clear();
            // Without a listener nothing is done per event: no await (and no state machine) on the hot path.
            return onEvents is null ? Task.CompletedTask : onEvents(batch);
        }

        public FileScanResult Result(long lines) => new(lines, _events, _order.ConvertAll(fp => _latest[fp])) { OutsideRange = _outside };
    }
}
