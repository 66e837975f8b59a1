using System.Runtime.InteropServices;
using BlueTeam.Core.Events;
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
/// latest update of each incident (a scan reports final states, rendered once at the end).
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
    /// <exception cref="UnreadableFileException">A file could not be opened or read.</exception>
    public static async Task<FileScanResult> RunAsync(DetectionPipeline pipeline, IReadOnlyList<LogFile> files,
        Func<IReadOnlyList<SecurityEvent>, Task>? onEvents, Action<long>? progress, CancellationToken ct, Func<SecurityEvent, bool>? include = null)
    {
        var latest = new Dictionary<string, IncidentUpdate>(StringComparer.Ordinal);
        var order = new List<string>();
        var found = new List<IncidentUpdate>();
        long events = 0, outside = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var parsing = ParsingStage.Start(files, pipeline, progress, stop.Token);
        try
        {
            await foreach (var batch in parsing.Batches.ReadAllAsync(ct).ConfigureAwait(false))
            {
                if (include is not null) outside += batch.RemoveAll(e => !include(e));
                foreach (var e in batch) pipeline.Correlate(e, found, ParsingStage.Collector);
                events += batch.Count;
                // Without a listener nothing is done per event: no await (and no state machine) on the hot path.
                if (onEvents is not null) await onEvents(batch).ConfigureAwait(false);
                foreach (var update in found)
                {
                    ref var last = ref CollectionsMarshal.GetValueRefOrAddDefault(latest, update.Fingerprint, out var seen);
                    if (!seen) order.Add(update.Fingerprint);
                    last = update;
                }
                found.Clear();
            }
        }
        finally
        {
            // Whatever ended this loop (done, an error here, cancellation), the reading thread must not wait on a full queue.
            await stop.CancelAsync().ConfigureAwait(false);
        }
        var lines = await parsing.Lines.ConfigureAwait(false);
        return new FileScanResult(lines, events, order.ConvertAll(fp => latest[fp])) { OutsideRange = outside };
    }
}
