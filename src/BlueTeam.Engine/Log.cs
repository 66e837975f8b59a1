namespace BlueTeam.Engine;

/// <summary>The engine's log messages, with fixed event ids.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 9001, Level = LogLevel.Warning,
        Message = "{Collector}: {Kind} on the line at {Path}:{Offset}, contained (the line's position advances, nothing else is lost); said once per source and reason: {Reason}")]
    public static partial void LineErrorContained(ILogger logger, string kind, string collector, string path, long offset, string reason);
}
