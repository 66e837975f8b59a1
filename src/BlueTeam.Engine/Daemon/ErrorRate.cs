namespace BlueTeam.Engine.Daemon;

/// <summary>
/// One source's contained errors (parse_error and rule_error) against its lines, within a minute. One bad
/// line is skipped and counted; a stream of them is a source that cannot be read, and that is an incident:
/// past <c>monitoring.parse_error_alert_count</c> errors in the minute, when they are also at least a tenth of
/// the source's lines (so a busy source with a rare bad line is not called failing), once per minute.
/// </summary>
internal sealed class ErrorRate
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private DateTimeOffset _windowStart;
    private long _lines, _errors;
    private bool _raised;

    /// <summary>Lines counted in the current minute.</summary>
    public long Lines => _lines;

    /// <summary>Errors counted in the current minute.</summary>
    public long Errors => _errors;

    /// <summary>
    /// Counts one line read at <paramref name="now"/> and the errors contained on it. True when this makes the
    /// source failing (<paramref name="limit"/> errors, a tenth of the lines; 0 never), at most once a minute.
    /// </summary>
    public bool Add(DateTimeOffset now, long errors, int limit)
    {
        if (now - _windowStart >= Window)
        {
            _windowStart = now;
            _lines = _errors = 0;
            _raised = false;
        }
        _lines++;
        _errors += errors;
        if (errors == 0 || limit == 0 || _raised || _errors < limit || _errors * 10 < _lines) return false;
        _raised = true;
        return true;
    }
}
