namespace BlueTeam.Parsing.Auth;

/// <summary>
/// Reads auth.log / secure / kern.log: splits the syslog header once, then offers the message to
/// each registered <see cref="IAuthMessageParser"/> that handles the line's program, in order,
/// until one returns an event.
/// </summary>
/// <remarks>
/// rsyslog's <c>message repeated N times: [ … ]</c> is unwrapped: the inner message is parsed as if
/// logged by the same program, and the event carries <c>labels.repeat_count = N</c> so that
/// counting rules add N.
/// </remarks>
public sealed class AuthLogParser : IScreensLines
{
    public const string RepeatCountLabel = "repeat_count";
    private const string RepeatedPrefix = "message repeated ";

    /// <summary>
    /// The built-in message parsers, one line each. Supporting another program is one new
    /// <see cref="IAuthMessageParser"/> and one line here. PAM first: its lines come from every program.
    /// </summary>
    /// <remarks>New instances on each read: sshd's parser remembers each connection's peer, and that memory belongs to one <see cref="AuthLogParser"/>.</remarks>
    public static IReadOnlyList<IAuthMessageParser> BuiltInMessageParsers =>
    [
        new PamMessageParser(),
        new SshdMessageParser(),
        new SudoMessageParser(),
        new SuMessageParser(),
        new AccountMessageParser(),
        new UnixChkpwdMessageParser(),
        new PamLogoutMessageParser(),
        new KernelMessageParser(),
    ];

    private readonly IAuthMessageParser[] _parsers;

    public AuthLogParser() : this(BuiltInMessageParsers) { }

    public AuthLogParser(IEnumerable<IAuthMessageParser> parsers) => _parsers = [.. parsers];

    public string Format => AuthLogFormat.FormatName;

    public SecurityEvent? Parse(RawLine line, ParseContext context)
    {
        if (line.Kind != RawLineKind.Line) return null;
        if (!SyslogHeaderParser.TryParse(line.Text, context, out var record)) return null;

        if (record.Message.StartsWith(RepeatedPrefix, StringComparison.Ordinal)) return ParseRepeated(record, line, context);
        return Dispatch(record, line, context);
    }

    /// <summary>
    /// The line's header split without its timestamp, and some message parser that handles its program and may
    /// want its message; a repeated message is always wanted (its inner message is read later). Message parsers
    /// keep no state for lines they return null on, so a line declined here is one <see cref="Parse"/> makes nothing of.
    /// </summary>
    public bool MayYieldEvent(ReadOnlySpan<char> line)
    {
        if (!SyslogHeaderParser.TrySplit(line, out var record)) return false;
        if (record.Message.StartsWith(RepeatedPrefix, StringComparison.Ordinal)) return true;
        foreach (var parser in _parsers)
            if (parser.Handles(record.Program) && parser.MayParse(in record)) return true;
        return false;
    }

    private SecurityEvent? Dispatch(in SyslogRecord record, RawLine line, ParseContext context)
    {
        foreach (var parser in _parsers)
        {
            if (!parser.Handles(record.Program)) continue;
            if (parser.Parse(in record, line, context) is { } e) return e;
        }
        return null;
    }

    /// <summary><c>message repeated N times: [ inner]</c>.</summary>
    private SecurityEvent? ParseRepeated(in SyslogRecord record, RawLine line, ParseContext context)
    {
        var rest = record.Message[RepeatedPrefix.Length..];
        var space = rest.IndexOf(' ');
        if (space <= 0 || !int.TryParse(rest[..space], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count)) return null;
        rest = rest[(space + 1)..];
        if (!rest.StartsWith("times: [", StringComparison.Ordinal) || rest[^1] != ']') return null;
        var inner = rest[8..^1].Trim(' ');

        var innerRecord = new SyslogRecord
        {
            Timestamp = record.Timestamp,
            Hostname = record.Hostname,
            Program = record.Program,
            ProgramQualifier = record.ProgramQualifier,
            Pid = record.Pid,
            Message = inner,
        };
        var e = Dispatch(innerRecord, line, context);
        if (e is null) return null;
        // Labels are shared between events (read-only): the repeated event gets a copy with the count added.
        var labels = new Dictionary<string, string>(e.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [RepeatCountLabel] = count.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        return e.WithLabels(labels);
    }
}

/// <summary><c>type: auth</c>: syslog files of sshd, sudo, su, PAM, account changes and the kernel (auth.log, secure, kern.log).</summary>
public sealed class AuthLogFormat : ILogFormat
{
    public const string FormatName = "auth";

    // Detection only asks whether a header parses; the year and zone it would resolve are never read.
    private static readonly ParseContext Probe = new() { TimeZone = TimeZoneInfo.Utc, Year = 2000 };

    public string Name => FormatName;

    public ILogParser CreateParser() => new AuthLogParser();

    public bool LooksLike(ReadOnlySpan<char> line) => SyslogHeaderParser.TryParse(line, Probe, out _);
}
