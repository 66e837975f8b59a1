using System.Collections.Concurrent;

namespace BlueTeam.Engine;

/// <summary>
/// One line that a parser or a rule threw on: <see cref="Kind"/> is <c>parse_error</c> (the line is lost alone)
/// or <c>rule_error</c> (that rule skipped the line's event; the other rules saw it). The reason is the
/// exception's type and message, already inert and cut short: it may quote the attacker's text.
/// </summary>
internal sealed record LineError(string Kind, string Collector, string Path, long Offset, string Reason)
{
    public const string ParseError = "parse_error";
    public const string RuleError = "rule_error";
}

/// <summary>The contained errors of one source so far.</summary>
internal sealed class SourceErrors
{
    private long _parseErrors, _ruleErrors, _truncated;

    public long ParseErrors => Interlocked.Read(ref _parseErrors);
    public long RuleErrors => Interlocked.Read(ref _ruleErrors);
    public long Total => ParseErrors + RuleErrors;

    /// <summary>Lines cut at the source's <c>max_line_bytes</c> (not failures: the first part was read as usual).</summary>
    public long Truncated => Interlocked.Read(ref _truncated);

    internal void AddTruncated() => Interlocked.Increment(ref _truncated);

    /// <summary>The newest of them (null while there is none).</summary>
    public LineError? Last { get; private set; }

    internal void Add(LineError error, long count)
    {
        if (error.Kind == LineError.ParseError) Interlocked.Add(ref _parseErrors, count);
        else Interlocked.Add(ref _ruleErrors, count);
        Last = error;
    }
}

/// <summary>
/// Every parse_error and rule_error record of a pipeline, counted per source: the position of the line still
/// advances, so a restart does not read it again, and nothing else is lost. Written by the pipeline's threads
/// (scan parses and correlates on two), read by the heartbeat, the dashboard and the commands' summaries.
/// </summary>
internal sealed class LineErrorLog
{
    // Past this many distinct reasons a source's new reasons are no longer remembered, so a reason that quotes
    // each line (a different one every time) cannot grow this set without bound; they are still counted.
    private const int DistinctReasonsKept = 1024;
    private const int Kept = 20;
    private readonly ConcurrentDictionary<string, SourceErrors> _bySource = new(StringComparer.Ordinal);
    private readonly HashSet<(string Collector, string Kind, string Reason)> _seen = [];
    private readonly Queue<LineError> _recent = new();
    private long _parseErrors, _ruleErrors, _truncated;

    public long ParseErrors => Interlocked.Read(ref _parseErrors);
    public long RuleErrors => Interlocked.Read(ref _ruleErrors);

    /// <summary>Lines longer than their source's cap: the rest of each was dropped, and the line was marked so.</summary>
    public long LinesTruncated => Interlocked.Read(ref _truncated);

    /// <summary>Counts one line cut at its source's cap (an attacker's 1 GB line costs the cap, never the gigabyte).</summary>
    public void RecordTruncated(string collector)
    {
        Interlocked.Increment(ref _truncated);
        For(collector).AddTruncated();
    }

    public IReadOnlyDictionary<string, SourceErrors> BySource => _bySource;

    public SourceErrors For(string collector) => _bySource.GetOrAdd(collector, static _ => new SourceErrors());

    /// <summary>The newest records, oldest first (at most twenty).</summary>
    public IReadOnlyList<LineError> Recent()
    {
        lock (_recent) return [.. _recent];
    }

    /// <summary>
    /// Counts <paramref name="count"/> failures described by <paramref name="error"/> on its source. True the first
    /// time this source fails this way (log it then: once per distinct error, never once per line).
    /// </summary>
    public bool Record(LineError error, long count = 1)
    {
        if (error.Kind == LineError.ParseError) Interlocked.Add(ref _parseErrors, count);
        else Interlocked.Add(ref _ruleErrors, count);
        For(error.Collector).Add(error, count);
        lock (_recent)
        {
            _recent.Enqueue(error);
            while (_recent.Count > Kept) _recent.Dequeue();
            return _seen.Count < DistinctReasonsKept && _seen.Add((error.Collector, error.Kind, error.Reason));
        }
    }
}
