using Microsoft.Extensions.Logging;

namespace BlueTeam.Storage;

// The store's log messages, with fixed event ids (7000-7099).
internal static partial class Log
{
    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning,
        Message = "First-seen memory: {Dropped} unwritten pair(s) dropped because the store kept failing ({Total} in all); after a restart they are reported as new again")]
    public static partial void FirstSeenWritesDropped(ILogger logger, int dropped, long total);
}
