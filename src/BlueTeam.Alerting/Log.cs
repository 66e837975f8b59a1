namespace BlueTeam.Alerting;

// Every log message of the alerting stage, with fixed event ids so operators can filter on them.
// Nothing here ever receives a credential: channels pass classified error text only.
internal static partial class Log
{
    [LoggerMessage(EventId = 1100, Level = LogLevel.Error, Message = "Storing incident {Fingerprint} ({Rule}) failed; the incident is NOT in the alert history")]
    public static partial void AlertStoreFailed(ILogger logger, Exception exception, string fingerprint, string rule);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "Incident {Fingerprint} stored as alert {AlertId} (new: {IsNew}), route: {Channels}")]
    public static partial void AlertStored(ILogger logger, string fingerprint, long alertId, bool isNew, string channels);

    [LoggerMessage(EventId = 1200, Level = LogLevel.Warning, Message = "Channel {Channel} is failing: {Error}; deliveries stay queued and are retried with backoff")]
    public static partial void ChannelFailing(ILogger logger, string channel, string error);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Channel {Channel} delivers again")]
    public static partial void ChannelRecovered(ILogger logger, string channel);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Error, Message = "Delivery {DeliveryId} of alert {AlertId} to {Channel} failed for good after {Attempts} attempt(s): {Error}")]
    public static partial void DeliveryFailed(ILogger logger, long deliveryId, long alertId, string channel, int attempts, string error);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Error, Message = "Channel {Channel} threw instead of returning a result (a bug in the channel); recorded as a transient failure")]
    public static partial void ChannelThrew(ILogger logger, Exception exception, string channel);

    [LoggerMessage(EventId = 1300, Level = LogLevel.Warning, Message = "Syslog socket {Socket} does not exist yet; syslog deliveries will be retried until it appears")]
    public static partial void SyslogSocketMissing(ILogger logger, string socket);

    [LoggerMessage(EventId = 1400, Level = LogLevel.Debug, Message = "{Server} accepted the message but QUIT failed; counted as delivered")]
    public static partial void SmtpQuitFailed(ILogger logger, Exception exception, string server);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Incident {Fingerprint} stored as alert {AlertId} but not delivered: silence {SilenceId} matches it")]
    public static partial void AlertSilenced(ILogger logger, string fingerprint, long alertId, long silenceId);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Error, Message = "Alert delivery to {Channel} is failing ({Why}); raising alert_delivery_failure (NIST 3.3.4)")]
    public static partial void DeliveryFailureRaised(ILogger logger, string channel, string why);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Warning, Message = "Channel {Channel} is over its budget of {MaxPerHour} per hour; {Held} non-critical alert(s) held for a summary")]
    public static partial void ChannelOverBudget(ILogger logger, string channel, int maxPerHour, int held);

    [LoggerMessage(EventId = 1500, Level = LogLevel.Information, Message = "Webhook {Url} answered {Status}")]
    public static partial void WebhookAnswered(ILogger logger, string url, int status);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Silence {SilenceId}: a regular expression ran out of time on incident {Fingerprint}; the silence does not apply to it and it is sent")]
    public static partial void SilenceRegexTimedOut(ILogger logger, long silenceId, string fingerprint);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Information, Message = "First start: {Count} incident(s) from before the start are stored; one digest (alert {AlertId}) is queued for {Channels} instead of one alert each")]
    public static partial void HistoryDigestQueued(ILogger logger, int count, long alertId, string channels);
}
