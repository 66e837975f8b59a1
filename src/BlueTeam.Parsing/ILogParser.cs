namespace BlueTeam.Parsing;

/// <summary>
/// Turns one raw line of a given log format into a <see cref="SecurityEvent"/>, or null when the
/// line is of no security interest. Pure, never throws on any input, and cheap on lines it does
/// not match (a prefilter before any regex).
/// </summary>
public interface ILogParser
{
    /// <summary>The name of the format this parser reads (<see cref="ILogFormat.Name"/>).</summary>
    string Format { get; }
    SecurityEvent? Parse(RawLine line, ParseContext context);
}

/// <summary>What a parser needs besides the line: how to complete timestamps that lack a year or a zone.</summary>
public sealed class ParseContext
{
    /// <summary>
    /// The year of the first RFC 3164 timestamp (`scan --year`); null = inferred from <see cref="Now"/>
    /// (a date more than a day in the future means last year).
    /// </summary>
    public int? Year { get; init; }

    // With a fixed Year: the years a file has moved on since its first line (December → January), and the
    // last month seen. Written by the one thread that parses the file (a context per file and thread).
    private int _yearsCarried;
    private int _lastMonth;

    /// <summary>
    /// The year of a line of <paramref name="month"/> when the file's first line is of <paramref name="firstYear"/>:
    /// a month that goes back by seven or more (December → January) starts the next year, so a brute force
    /// across New Year's Eve stays one burst; a straggler of the old year after that (a December line among
    /// January's) keeps the old year.
    /// </summary>
    internal int FixedYearFor(int firstYear, int month)
    {
        if (_lastMonth == 0) _lastMonth = month;
        else if (month <= _lastMonth - 7) { _yearsCarried++; _lastMonth = month; }
        else if (month >= _lastMonth + 7) return firstYear + _yearsCarried - 1;
        else _lastMonth = month;
        return firstYear + _yearsCarried;
    }
    /// <summary>The zone of timestamps that carry none (RFC 3164).</summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Local;
    /// <summary>The reference time for year inference.</summary>
    public DateTimeOffset Now { get; init; } = DateTimeOffset.UtcNow;
    /// <summary>host.hostname when the line itself names none.</summary>
    public string? DefaultHost { get; init; }
    /// <summary>
    /// For JSON application logs: ECS field name → the application's JSON field name
    /// (<c>CollectorOptions.Fields</c>); null or missing keys take the parser's defaults.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Fields { get; init; }

    // Caches for the syslog header, which asks the zone for an offset on every line: TimeZoneInfo
    // lookups were a third of the header's cost. Both are immutable snapshots swapped atomically,
    // so a context shared between threads stays correct.
    private sealed record OffsetHour(long HourTicks, TimeSpan Offset);
    private OffsetHour? _offsetHour;
    private DateTime? _nowLocal;

    // The last host, log file and process named, shared by the events that name the same again (most lines of
    // a file do): the ECS types are immutable, so sharing is safe, and it saves three to five objects per event.
    // Immutable values swapped atomically, like the caches above.
    private EcsHost? _host;
    private EcsHost? _defaultHost;
    private EcsLogFile? _logFile;
    private EcsProcess? _process;

    /// <summary>An <see cref="EcsHost"/> for <paramref name="hostname"/>, the previous one when it names the same host.</summary>
    internal EcsHost Host(ReadOnlySpan<char> hostname)
    {
        var cached = Volatile.Read(ref _host);
        if (cached is not null && hostname.SequenceEqual(cached.Hostname)) return cached;
        var host = new EcsHost { Hostname = hostname.ToString() };
        Volatile.Write(ref _host, host);
        return host;
    }

    /// <summary>The <see cref="DefaultHost"/> as an <see cref="EcsHost"/>; null when there is none.</summary>
    internal EcsHost? DefaultEcsHost => DefaultHost is { Length: > 0 } name ? _defaultHost ??= new EcsHost { Hostname = name } : null;

    /// <summary>An <see cref="EcsLogFile"/> for <paramref name="path"/>, the previous one when it is the same path.</summary>
    internal EcsLogFile LogFile(string path)
    {
        var cached = Volatile.Read(ref _logFile);
        if (cached is not null && (ReferenceEquals(cached.Path, path) || string.Equals(cached.Path, path, StringComparison.Ordinal))) return cached;
        var file = new EcsLogFile { Path = path };
        Volatile.Write(ref _logFile, file);
        return file;
    }

    /// <summary>An <see cref="EcsProcess"/> with only a name and pid, the previous one when both are the same.</summary>
    internal EcsProcess Process(ReadOnlySpan<char> name, int? pid)
    {
        var cached = Volatile.Read(ref _process);
        if (cached is not null && cached.Pid == pid && name.SequenceEqual(cached.Name)) return cached;
        // The same program with another pid (every sshd connection): keep its name string.
        var nameText = cached is not null && name.SequenceEqual(cached.Name) ? cached.Name : name.ToString();
        var process = new EcsProcess { Name = nameText, Pid = pid };
        Volatile.Write(ref _process, process);
        return process;
    }

    // The last few label sets built: consecutive events mostly carry the same collector and the same
    // extra labels (cron's PAM sessions, sshd's preauth lines), so the dictionary, its buckets and its
    // entries are shared instead of built per event. Read-only views, never mutated once published;
    // each slot is swapped atomically, so a context shared between threads stays correct.
    private readonly LabelSet?[] _labelSets = new LabelSet?[4];
    private int _nextLabelSlot;

    /// <summary>
    /// The labels of an event: <c>collector</c> first, then <paramref name="extra"/> in order (a later
    /// duplicate key wins), as a read-only dictionary shared with earlier events that had the same.
    /// </summary>
    internal IReadOnlyDictionary<string, string> Labels(string? collector, ReadOnlySpan<KeyValuePair<string, string>> extra)
    {
        collector ??= "";
        for (var i = 0; i < _labelSets.Length; i++)
        {
            var cached = Volatile.Read(ref _labelSets[i]);
            if (cached is not null && cached.Is(collector, extra)) return cached.Labels;
        }
        var built = new Dictionary<string, string>(1 + extra.Length, StringComparer.Ordinal) { [EventFields.CollectorLabel] = collector };
        foreach (var (k, v) in extra) built[k] = v;
        var set = new LabelSet(collector, extra.ToArray(), new System.Collections.ObjectModel.ReadOnlyDictionary<string, string>(built));
        var index = _nextLabelSlot;
        _nextLabelSlot = (index + 1) % _labelSets.Length;
        Volatile.Write(ref _labelSets[index], set);
        return set.Labels;
    }

    private sealed record LabelSet(string Collector, KeyValuePair<string, string>[] Extra, IReadOnlyDictionary<string, string> Labels)
    {
        public bool Is(string collector, ReadOnlySpan<KeyValuePair<string, string>> extra)
        {
            if (!string.Equals(Collector, collector, StringComparison.Ordinal) || Extra.Length != extra.Length) return false;
            for (var i = 0; i < extra.Length; i++)
                if (!string.Equals(Extra[i].Key, extra[i].Key, StringComparison.Ordinal) || !string.Equals(Extra[i].Value, extra[i].Value, StringComparison.Ordinal)) return false;
            return true;
        }
    }

    /// <summary><see cref="Now"/> in <see cref="TimeZone"/> (both are fixed at construction).</summary>
    internal DateTime NowLocal => _nowLocal ??= TimeZoneInfo.ConvertTime(Now, TimeZone).DateTime;

    /// <summary>
    /// <c>TimeZone.GetUtcOffset(local)</c>, remembered for the local hour when the offset is the
    /// same at both ends of it (no zone changes offset twice within an hour, so then it holds for
    /// the whole hour; an hour with a transition in it is never cached).
    /// </summary>
    internal TimeSpan UtcOffset(DateTime local)
    {
        var hour = local.Ticks - local.Ticks % TimeSpan.TicksPerHour;
        var cached = Volatile.Read(ref _offsetHour);
        if (cached is not null && cached.HourTicks == hour) return cached.Offset;
        var offset = TimeZone.GetUtcOffset(local);
        if (TimeZone.GetUtcOffset(new DateTime(hour, DateTimeKind.Unspecified)) == offset
            && TimeZone.GetUtcOffset(new DateTime(hour + TimeSpan.TicksPerHour - 1, DateTimeKind.Unspecified)) == offset)
            Volatile.Write(ref _offsetHour, new OffsetHour(hour, offset));
        return offset;
    }
}

/// <summary>
/// A parser whose events span several lines (auditd writes one event as several records, and may
/// interleave the records of concurrent events). <see cref="ILogParser.Parse"/> still takes one
/// line; it returns an event when that line completed one, and any further events completed by the
/// same line wait in <see cref="TakeCompleted"/>.
/// </summary>
/// <remarks>
/// Not thread-safe: one pipeline consumer feeds it. The caller's loop is: after every
/// <c>Parse</c>, drain <see cref="TakeCompleted"/> until null; at the end of input (end of a scanned
/// file, shutdown, or a source that has been idle for a while) call <see cref="Flush"/> and drain
/// again. <see cref="ParserRegistry.ParseAll"/> and <see cref="ParserRegistry.Flush"/> do exactly this.
/// </remarks>
public interface IMultiLineParser : ILogParser
{
    /// <summary>The next event completed but not yet handed out, or null.</summary>
    SecurityEvent? TakeCompleted();

    /// <summary>Treats every buffered event as complete (end of input); they become available through <see cref="TakeCompleted"/>.</summary>
    void Flush();
}

/// <summary>
/// A parser that refuses some lines of its own format (ambiguous: a JSON key given twice, so the attacker
/// would choose which one counts; or malformed as only corruption or an attacker makes it) and says why,
/// so that the parsing stage counts such a line as skipped instead of letting it vanish. Parse still
/// returns null for it and never throws.
/// </summary>
public interface IReportsRejections : ILogParser
{
    /// <summary>Why the line just parsed was refused, once (null when it was not).</summary>
    string? TakeRejection();
}

/// <summary>
/// A parser that can tell, from a line's text before it becomes a string, that it would make nothing of it: no
/// event, no rejection, no change to its own state. A scan passes such lines over (<see cref="LineScreen"/>).
/// </summary>
public interface IScreensLines : ILogParser
{
    /// <summary>False only when <see cref="ILogParser.Parse"/> would return null for <paramref name="line"/> with no side effect.</summary>
    bool MayYieldEvent(ReadOnlySpan<char> line);
}
