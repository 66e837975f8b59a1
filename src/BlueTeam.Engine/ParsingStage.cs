using System.Threading.Channels;
using BlueTeam.Parsing;
using BlueTeam.Sources;

namespace BlueTeam.Engine;

/// <summary>
/// scan's read+parse stage on a thread of its own: the files in order, line by line, into batches of
/// events that the correlating thread takes from a small bounded queue, in exactly the order one loop
/// would have produced them (parsing never depends on correlation, so splitting them changes nothing
/// but the time). A full queue makes this thread wait: memory stays bounded whatever the input.
/// </summary>
/// <remarks>
/// Batches are small and few (<see cref="EventsPerBatch"/> × <see cref="BatchesQueued"/>): events that sit in
/// the queue across a garbage collection are promoted, and big batches made the two-thread scan slower than one
/// loop (docs/PERFORMANCE.md).
/// </remarks>
internal sealed class ParsingStage
{
    public const int EventsPerBatch = 256;
    public const int BatchesQueued = 4;

    /// <summary>The source name of scanned lines (in parse_error and rule_error records).</summary>
    public const string Collector = "scan";

    private readonly Channel<List<SecurityEvent>> _batches = Channel.CreateBounded<List<SecurityEvent>>(
        new BoundedChannelOptions(BatchesQueued) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

    private ParsingStage() => Lines = Task.FromResult(0L);

    /// <summary>Batches of parsed events in line order; completed at the end of the last file, or with the stage's error.</summary>
    public ChannelReader<List<SecurityEvent>> Batches => _batches.Reader;

    /// <summary>How many lines were read, once <see cref="Batches"/> is complete.</summary>
    public Task<long> Lines { get; private set; }

    /// <summary>
    /// Starts reading <paramref name="inputs"/> on a dedicated thread. <paramref name="progress"/> (bytes done)
    /// is called from that thread. Cancelling <paramref name="ct"/> stops it (the batches complete with the cancellation).
    /// </summary>
    public static ParsingStage Start(IReadOnlyList<LogFile> inputs, DetectionPipeline pipeline, Action<long>? progress, CancellationToken ct)
    {
        var stage = new ParsingStage();
        stage.Lines = Task.Factory.StartNew(() => stage.Run(inputs, pipeline, progress, ct),
            ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        return stage;
    }

    private long Run(IReadOnlyList<LogFile> inputs, DetectionPipeline pipeline, Action<long>? progress, CancellationToken ct)
    {
        var writer = _batches.Writer;
        var count = new LineCount();
        try
        {
            foreach (var batch in Read(inputs, pipeline, progress, count, ct))
            {
                // The synchronous path first: the queue is rarely full, and this thread has nothing else to do when it is.
                if (!writer.TryWrite(batch)) writer.WriteAsync(batch, ct).AsTask().GetAwaiter().GetResult();
            }
            writer.Complete();
        }
        catch (Exception e)
        {
            // Not swallowed: the correlating thread's read of Batches rethrows it.
            writer.Complete(e);
        }
        return count.Lines;
    }

    /// <summary>Lines read so far by <see cref="Read"/> (passed-over lines included), complete once it has finished.</summary>
    internal sealed class LineCount
    {
        public long Lines;
    }

    /// <summary>
    /// The read+parse loop itself, on the caller's thread: the files in order, as batches of at most about
    /// <see cref="EventsPerBatch"/> events (a new list each, since the caller may keep it), in line order.
    /// </summary>
    internal static IEnumerable<List<SecurityEvent>> Read(IReadOnlyList<LogFile> inputs, DetectionPipeline pipeline, Action<long>? progress,
        LineCount count, CancellationToken ct)
    {
        var reader = new LineReader();
        var events = new List<SecurityEvent>(EventsPerBatch);
        long done = 0, lines = 0;
        foreach (var input in inputs)
        {
            foreach (var raw in input.ReadLines(Collector, reader, pipeline.Parsers.ScreenFor(input.Format)))
            {
                if ((++lines & 0xFFFF) == 0)
                {
                    ct.ThrowIfCancellationRequested();
                    progress?.Invoke(done + raw.EndOffset);
                }
                if (pipeline.Parse(raw, input.Context, events) > 0 && events.Count >= EventsPerBatch)
                {
                    yield return events;
                    events = new List<SecurityEvent>(EventsPerBatch);
                }
            }
            pipeline.FlushParsers(events); // end of the file: multi-record events (auditd) still buffered
            if (events.Count > 0)
            {
                yield return events;
                events = new List<SecurityEvent>(EventsPerBatch);
            }
            done += input.Length;
            progress?.Invoke(done);
            count.Lines = lines + reader.ScreenedOut;
        }
    }
}
