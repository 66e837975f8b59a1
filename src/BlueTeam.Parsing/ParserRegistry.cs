
namespace BlueTeam.Parsing;

/// <summary>
/// The parsing stage's entry point: routes each <see cref="RawLine"/> to the parser registered
/// for its format (<see cref="RawLine.Type"/>), and turns a source's own troubles (cannot read, file truncated) into
/// events so that a silent collector is visible downstream.
/// </summary>
public sealed class ParserRegistry
{
    private readonly Dictionary<string, ILogParser> _parsers = new(StringComparer.Ordinal);

    /// <summary>One parser per format; a second parser for the same format is a programming error.</summary>
    public ParserRegistry(IEnumerable<ILogParser> parsers)
    {
        foreach (var parser in parsers)
        {
            if (!_parsers.TryAdd(parser.Format, parser))
                throw new ArgumentException($"two parsers registered for the {parser.Format} format", nameof(parsers));
        }
    }

    /// <summary>A parser for each format in <see cref="LogFormats.Default"/>. The audit parser holds partial events, so each registry gets its own.</summary>
    public static ParserRegistry CreateDefault() => new(LogFormats.Default.CreateParsers());

    /// <summary>
    /// What a reader of <paramref name="format"/> lines may pass over before they become strings (lines the
    /// format's parser would make nothing of); null when every line must be parsed.
    /// </summary>
    public LineScreen? ScreenFor(string format) =>
        _parsers.TryGetValue(format, out var parser) && parser is IScreensLines screening ? screening.MayYieldEvent : null;

    /// <summary>
    /// The event for <paramref name="line"/>, or null when the line is of no security interest or
    /// no parser reads its format. Never throws on any line text.
    /// </summary>
    /// <remarks>
    /// Collector notes carry no log timestamp, so their events are stamped with
    /// <see cref="ParseContext.Now"/>; their host is <see cref="ParseContext.DefaultHost"/>.
    /// </remarks>
    public SecurityEvent? Parse(RawLine line, ParseContext context)
    {
        try
        {
            return ParseUncontained(line, context);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Errors.Record(line, e);
            return null;
        }
    }

    /// <summary>Lines a parser failed on (contained: the line is lost, counted here, and reading goes on).</summary>
    public ParseErrorLog Errors { get; } = new();

    private SecurityEvent? ParseUncontained(RawLine line, ParseContext context) => line.Kind switch
    {
        RawLineKind.Line => _parsers.TryGetValue(line.Type, out var parser) ? ParseLine(parser, line, context) : null,
        RawLineKind.CollectorError => CollectorNote(line, context, EventActions.CollectorError),
        RawLineKind.LogTruncated => CollectorNote(line, context, EventActions.LogTruncated),
        _ => null,
    };

    /// <summary>
    /// Every event <paramref name="line"/> yields: the one <see cref="Parse"/> returns plus any further
    /// events a multi-line parser completed with it. The pipeline should call this rather than Parse.
    /// </summary>
    public IEnumerable<SecurityEvent> ParseAll(RawLine line, ParseContext context)
    {
        var events = new List<SecurityEvent>(1);
        ParseAll(line, context, events);
        return events;
    }

    /// <summary>
    /// <see cref="ParseAll(RawLine, ParseContext)"/> into the caller's list (reused across lines), so
    /// the hot path builds no enumerator per line. Returns how many events were added.
    /// </summary>
    /// <remarks>
    /// The parsing stage's boundary: a parser that throws on this line (it never should; the text is the
    /// attacker's) loses this line only. The failure is counted in <see cref="Errors"/>, what the line had
    /// added is taken back, and the caller advances past it as past any other line.
    /// </remarks>
    public int ParseAll(RawLine line, ParseContext context, List<SecurityEvent> into)
    {
        var before = into.Count;
        try
        {
            if (ParseUncontained(line, context) is { } first) into.Add(first);
            if (line.Kind == RawLineKind.Line && _parsers.TryGetValue(line.Type, out var parser) && parser is IMultiLineParser multi)
                while (multi.TakeCompleted() is { } more) into.Add(more);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            if (into.Count > before) into.RemoveRange(before, into.Count - before);
            Errors.Record(line, e);
        }
        return into.Count - before;
    }

    /// <summary>
    /// End of input for multi-line parsers (end of a scanned file, shutdown, or a source idle for a
    /// few seconds): the events they still buffer, complete as they are.
    /// </summary>
    public IEnumerable<SecurityEvent> Flush()
    {
        foreach (var parser in _parsers.Values)
        {
            if (parser is not IMultiLineParser multi) continue;
            multi.Flush();
            while (multi.TakeCompleted() is { } e) yield return e;
        }
    }

    private SecurityEvent? ParseLine(ILogParser parser, RawLine line, ParseContext context)
    {
        var e = parser.Parse(line, context);
        if (e is null && parser is IReportsRejections rejecting && rejecting.TakeRejection() is { } reason) Errors.Record(line, reason);
        return e;
    }

    private static SecurityEvent CollectorNote(RawLine line, ParseContext context, string action) => new()
    {
        Timestamp = context.Now,
        Event = new EcsEvent
        {
            // ECS's kind for "something went wrong while collecting": the event is about the pipeline, not the host.
            Kind = "pipeline_error",
            Action = action,
            Outcome = EcsValues.Failure,
            Reason = line.Text,
        },
        Host = EventFields.Host(default, context),
        Log = EventFields.Log(line, context),
        Message = line.Text,
        Labels = EventFields.Labels(line),
    };
}
