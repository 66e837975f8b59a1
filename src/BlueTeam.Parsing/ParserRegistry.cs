using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Parsing.Auth;
using BlueTeam.Parsing.Syslog;
using BlueTeam.Sources;

namespace BlueTeam.Parsing;

/// <summary>
/// The parsing stage's entry point: routes each <see cref="RawLine"/> to the parser registered
/// for its collector type, and turns a source's own troubles (cannot read, file truncated) into
/// events so that a silent collector is visible downstream.
/// </summary>
public sealed class ParserRegistry
{
    private readonly Dictionary<CollectorType, ILogParser> _parsers = [];

    /// <summary>One parser per format; a second parser for the same format is a programming error.</summary>
    public ParserRegistry(IEnumerable<ILogParser> parsers)
    {
        foreach (var parser in parsers)
        {
            if (!_parsers.TryAdd(parser.Format, parser))
                throw new ArgumentException($"two parsers registered for the {parser.Format} format", nameof(parsers));
        }
    }

    /// <summary>The built-in parsers, one line each.</summary>
    public static ParserRegistry CreateDefault() => new(
    [
        new AuthLogParser(),
    ]);

    /// <summary>The formats some registered parser reads.</summary>
    public IEnumerable<CollectorType> Formats => _parsers.Keys;

    /// <summary>
    /// The event for <paramref name="line"/>, or null when the line is of no security interest or
    /// no parser reads its format. Never throws on any line text.
    /// </summary>
    /// <remarks>
    /// Collector notes carry no log timestamp, so their events are stamped with
    /// <see cref="ParseContext.Now"/>; their host is <see cref="ParseContext.DefaultHost"/>.
    /// </remarks>
    public SecurityEvent? Parse(RawLine line, ParseContext context) => line.Kind switch
    {
        RawLineKind.Line => _parsers.TryGetValue(line.Type, out var parser) ? parser.Parse(line, context) : null,
        RawLineKind.CollectorError => CollectorNote(line, context, EventActions.CollectorError),
        RawLineKind.LogTruncated => CollectorNote(line, context, EventActions.LogTruncated),
        _ => null,
    };

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
        Log = EventFields.Log(line),
        Message = line.Text,
        Labels = EventFields.Labels(line),
    };

    /// <summary>
    /// Guesses a file's format from its first lines (for ad-hoc scans): syslog headers → Auth,
    /// <c>type=… msg=audit(</c> → Audit, combined access log → Access, JSON objects → Json.
    /// Null when no format wins a majority of the non-empty lines.
    /// </summary>
    public static CollectorType? DetectFormat(string firstLines)
    {
        if (string.IsNullOrEmpty(firstLines)) return null;
        var probe = new ParseContext { TimeZone = TimeZoneInfo.Utc, Year = 2000 };
        int auth = 0, audit = 0, access = 0, json = 0, total = 0;
        foreach (var raw in firstLines.AsSpan().EnumerateLines())
        {
            var l = raw.TrimEnd('\r');
            if (l.IsWhiteSpace()) continue;
            if (++total > 50) break;
            if (l.StartsWith("type=", StringComparison.Ordinal) && l.Contains("msg=audit(", StringComparison.Ordinal)) audit++;
            else if (l.TrimStart().StartsWith("{", StringComparison.Ordinal)) json++;
            else if (SyslogHeaderParser.TryParse(l, probe, out _)) auth++;
            else if (LooksLikeAccessLog(l)) access++;
        }
        if (total == 0) return null;
        var (best, count) = new[] { (CollectorType.Auth, auth), (CollectorType.Audit, audit), (CollectorType.Access, access), (CollectorType.Json, json) }
            .MaxBy(p => p.Item2);
        return count * 2 > Math.Min(total, 50) ? best : null;
    }

    /// <summary>Common/combined log format: <c>host ident user [date] "request" …</c>.</summary>
    private static bool LooksLikeAccessLog(ReadOnlySpan<char> l)
    {
        var bracket = l.IndexOf(" [", StringComparison.Ordinal);
        if (bracket < 0) return false;
        var close = l[bracket..].IndexOf("] \"", StringComparison.Ordinal);
        return close > 0 && l[..bracket].Count(' ') == 2;
    }
}
