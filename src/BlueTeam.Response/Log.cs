using Microsoft.Extensions.Logging;

namespace BlueTeam.Response;

// Every log message of the response stage, with fixed event ids (8000-8099) so operators can filter
// on them. Targets and fingerprints are parsed values; no free text from a log line is logged here.
internal static partial class Log
{
    [LoggerMessage(EventId = 8000, Level = LogLevel.Information, Message = "Active response: {Count} active ban(s) restored to nftables")]
    public static partial void Restored(ILogger logger, int count);

    [LoggerMessage(EventId = 8001, Level = LogLevel.Warning, Message = "{Action} {Target} for {Seconds} s: {Rule} incident {Fingerprint}")]
    public static partial void Decided(ILogger logger, string action, string target, long seconds, string rule, string fingerprint);

    [LoggerMessage(EventId = 8002, Level = LogLevel.Warning, Message = "Incident {Fingerprint} ({Rule}): its source address is not from a trusted position; not banned")]
    public static partial void Untrusted(ILogger logger, string fingerprint, string rule);

    [LoggerMessage(EventId = 8003, Level = LogLevel.Information, Message = "Incident {Fingerprint}: {Target} is in the ignore list ({Network}); not banned")]
    public static partial void Ignored(ILogger logger, string fingerprint, string target, string network);

    [LoggerMessage(EventId = 8004, Level = LogLevel.Warning, Message = "Incident {Fingerprint}: {Target} is not banned, {Address} logged in successfully at {At:u}; reported instead")]
    public static partial void ReportedNotBanned(ILogger logger, string fingerprint, string target, string address, DateTimeOffset at);

    [LoggerMessage(EventId = 8005, Level = LogLevel.Error, Message = "Active response failed, {Count} ban(s) not applied (detection goes on): {Problem}")]
    public static partial void Failed(ILogger logger, int count, string problem);

    [LoggerMessage(EventId = 8006, Level = LogLevel.Information, Message = "Active response applies bans again")]
    public static partial void Recovered(ILogger logger);

    [LoggerMessage(EventId = 8007, Level = LogLevel.Error, Message = "Active response: deciding on incident {Fingerprint} failed; detection goes on")]
    public static partial void DecisionFailed(ILogger logger, Exception exception, string fingerprint);
}
