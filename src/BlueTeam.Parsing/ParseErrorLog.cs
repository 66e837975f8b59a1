using System.Collections.Concurrent;
using BlueTeam.Core.Text;
using BlueTeam.Sources;

namespace BlueTeam.Parsing;

/// <summary>One line a parser failed on: where it was, and why (the reason is inert text, cut short).</summary>
public sealed record ParseError(string Collector, string Path, long Offset, string Reason);

/// <summary>
/// The lines the parsers failed on or refused. A parser that refuses a line says why
/// (<see cref="IReportsRejections"/>). A parser must never throw, but the text is the attacker's: when
/// one does, that line alone is lost (counted here, its position still advances) and every other
/// line is read as usual, instead of the exception stopping the daemon and, after the restart,
/// stopping it again on the same line. Written by the parsing thread, read by the heartbeat, the
/// dashboard and the metrics.
/// </summary>
public sealed class ParseErrorLog
{
    private const int Kept = 20;
    private readonly ConcurrentDictionary<string, long> _bySource = new(StringComparer.Ordinal);
    private readonly Queue<ParseError> _recent = new();
    private long _total;

    /// <summary>Lines no parser could read without failing, since start.</summary>
    public long Total => Interlocked.Read(ref _total);

    /// <summary>The same, per collector.</summary>
    public IReadOnlyDictionary<string, long> BySource => _bySource;

    /// <summary>The newest failures, oldest first (at most twenty).</summary>
    public IReadOnlyList<ParseError> Recent()
    {
        lock (_recent) return [.. _recent];
    }

    internal ParseError Record(RawLine line, Exception exception) => Record(line, $"{exception.GetType().Name}: {exception.Message}");

    internal ParseError Record(RawLine line, string reason)
    {
        // The reason may quote the line: the attacker's text, so inert and short.
        var error = new ParseError(line.Collector, line.Path, line.Offset, SafeText.Inert(reason, 200));
        Interlocked.Increment(ref _total);
        _bySource.AddOrUpdate(line.Collector, 1, static (_, n) => n + 1);
        lock (_recent)
        {
            _recent.Enqueue(error);
            while (_recent.Count > Kept) _recent.Dequeue();
        }
        return error;
    }
}
