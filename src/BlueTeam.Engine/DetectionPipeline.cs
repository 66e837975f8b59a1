using BlueTeam.Correlation;
using BlueTeam.Correlation.State;
using BlueTeam.Parsing;
using BlueTeam.Sources;
using Microsoft.Extensions.Logging.Abstractions;

namespace BlueTeam.Engine;

/// <summary>
/// The detection pipeline: a line in, the events it completes (parse), the incident updates they cause
/// (correlate). Every way of running blueteam drives this one type: the daemon line by line
/// (<see cref="Daemon.PipelineWorker"/>, which then raises, stores and commits), <c>scan</c> with parsing and
/// correlating on two threads (<see cref="ParsingStage"/>; one loop when only one core is free), <c>rules test</c> and the benchmarks over
/// <see cref="LogFile.ReadLines"/>. So the same input gives the same events and incidents whichever runs it.
/// </summary>
/// <remarks>
/// Containment: a parser that throws on a line loses that line only, a rule that throws on an event skips
/// that event only (the other rules still see it); each becomes a <c>parse_error</c> or <c>rule_error</c>
/// record of the line's source in <see cref="Errors"/>, and the caller advances past the line as past any
/// other. Parse on one thread, correlate on one thread (the same or another, in parse order).
/// </remarks>
internal sealed class DetectionPipeline
{
    private readonly ILogger _logger;

    /// <param name="parsers">Kept across a reload (multi-record parsers hold events awaiting their next record).</param>
    /// <param name="correlator">The rules.</param>
    /// <param name="errors">The records to add to: the previous pipeline's across a reload, so counts go on.</param>
    /// <param name="logger">Where each distinct error is logged, once; none for commands that summarize them.</param>
    public DetectionPipeline(ParserRegistry parsers, Correlator correlator, LineErrorLog? errors = null, ILogger? logger = null)
    {
        Parsers = parsers;
        Correlator = correlator;
        Errors = errors ?? new LineErrorLog();
        _logger = logger ?? NullLogger.Instance;
    }

    public ParserRegistry Parsers { get; }

    public Correlator Correlator { get; }

    /// <summary>The lines a parser or a rule threw on, per source.</summary>
    public LineErrorLog Errors { get; }

    /// <summary>
    /// Parse and correlate on one thread: the events <paramref name="line"/> completes (none, one, or several for
    /// multi-record formats such as auditd) and the incident updates they cause, appended to the caller's lists
    /// (reused across lines, so the hot path allocates no lists). Returns how many events were appended.
    /// </summary>
    public int Process(RawLine line, ParseContext context, List<SecurityEvent> events, List<IncidentUpdate> updates)
    {
        var first = events.Count;
        var parsed = Parse(line, context, events);
        for (var i = first; i < events.Count; i++) Correlate(events[i], updates, line.Collector, line.Path, line.Replay);
        return parsed;
    }

    /// <summary>
    /// The parse stage alone, for callers that parse and correlate on two threads (scan): the events
    /// <paramref name="line"/> completes, appended to <paramref name="events"/>. Only one thread may parse.
    /// </summary>
    public int Parse(RawLine line, ParseContext context, List<SecurityEvent> events)
    {
        // A replayed line (read again after a restart to rebuild the rules' windows) was counted when it was first read.
        if (line.Truncated && !line.Replay) Errors.RecordTruncated(line.Collector);
        var failedBefore = Parsers.Errors.Total;
        var parsed = Parsers.ParseAll(line, context, events);
        var failed = Parsers.Errors.Total - failedBefore;
        if (failed > 0 && !line.Replay) Contained(new LineError(LineError.ParseError, line.Collector, line.Path, line.Offset, Parsers.Errors.Last!.Reason), failed);
        return parsed;
    }

    /// <summary>The parse stage's end of input: the events multi-record parsers still hold. Same thread as <see cref="Parse"/>.</summary>
    public void FlushParsers(List<SecurityEvent> events) => events.AddRange(Parsers.Flush());

    /// <summary>
    /// The correlate stage alone: one thread, events in the order they were parsed. A rule that throws is
    /// recorded on <paramref name="collector"/> at the event's own position (its line, or its first record's).
    /// </summary>
    public void Correlate(SecurityEvent e, List<IncidentUpdate> updates, string collector, string? path = null, bool replay = false)
    {
        var failedBefore = Correlator.RuleErrors;
        Correlator.Process(e, updates);
        var failed = Correlator.RuleErrors - failedBefore;
        if (failed > 0 && !replay && Correlator.LastFailure is { } why)
            Contained(new LineError(LineError.RuleError, collector, why.Path ?? path ?? "", why.Offset ?? 0, why.Reason), failed);
    }

    /// <summary>End of input (end of a scanned file, an idle source, shutdown): what multi-record parsers still hold, correlated.</summary>
    public void Flush(List<SecurityEvent> events, List<IncidentUpdate> updates, string collector)
    {
        var first = events.Count;
        FlushParsers(events);
        for (var i = first; i < events.Count; i++) Correlate(events[i], updates, collector);
    }

    /// <summary>Lets wall-clock rules (absence) judge <paramref name="now"/>.</summary>
    public IReadOnlyList<SecurityIncident> Tick(DateTimeOffset now) => Correlator.Tick(now);

    private void Contained(LineError error, long count)
    {
        if (Errors.Record(error, count))
            Log.LineErrorContained(_logger, error.Kind, error.Collector, error.Path, error.Offset, error.Reason);
    }
}
