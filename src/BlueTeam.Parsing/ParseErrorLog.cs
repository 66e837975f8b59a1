using BlueTeam.Core.Text;

namespace BlueTeam.Parsing;

/// <summary>One line a parser failed on: where it was, and why (the reason is inert text, cut short).</summary>
public sealed record ParseError(string Collector, string Path, long Offset, string Reason);

/// <summary>
/// The lines the parsers failed on or refused. A parser that refuses a line says why
/// (<see cref="IReportsRejections"/>). A parser must never throw, but the text is the attacker's: when
/// one does, that line alone is lost (counted here, its position still advances) and every other
/// line is read as usual, instead of the exception stopping the daemon and, after the restart,
/// stopping it again on the same line.
/// </summary>
/// <remarks>
/// Only the count and the newest failure are kept: the engine (<c>DetectionPipeline</c>) reads them after
/// each line and keeps the per-source records that status, the heartbeat and the summaries show.
/// </remarks>
public sealed class ParseErrorLog
{
    private long _total;
    private ParseError? _last;

    /// <summary>Lines no parser could read without failing or refused, since start.</summary>
    public long Total => Interlocked.Read(ref _total);

    /// <summary>The newest failure, or null while there is none.</summary>
    public ParseError? Last => Volatile.Read(ref _last);

    // The type says which kind of bug it is (the same form as a rule's failure); a refusal has none.
    internal ParseError Record(RawLine line, Exception exception) => Record(line, $"{exception.GetType().Name}: {exception.Message}");

    internal ParseError Record(RawLine line, string reason)
    {
        // The reason may quote the line: the attacker's text, so inert and short.
        var error = new ParseError(line.Collector, line.Path, line.Offset, SafeText.Inert(reason, 200));
        Volatile.Write(ref _last, error);
        Interlocked.Increment(ref _total);
        return error;
    }
}
