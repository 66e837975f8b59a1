namespace BlueTeam.Alerting;

/// <summary>
/// One way of telling people. Sends once and classifies the result; it never sleeps or retries
/// by itself — the <see cref="DeliveryDispatcher"/> owns retry and bookkeeping.
/// </summary>
public interface IAlertChannel
{
    /// <summary>The channel's name in routes and delivery rows: console, syslog, email, …</summary>
    string Name { get; }
    Task<DeliveryResult> SendAsync(AlertRecord alert, CancellationToken cancellationToken);
}

public enum DeliveryOutcome
{
    Delivered,
    /// <summary>Worth trying again later (connection refused, timeout, 4xx from SMTP, 5xx from HTTP).</summary>
    Transient,
    /// <summary>Will never work as configured (rejected recipient, authentication refused, bad payload).</summary>
    Permanent,
}

public readonly record struct DeliveryResult(DeliveryOutcome Outcome, string? Error = null)
{
    /// <summary>
    /// For a transient result: the least time the peer asked to be left alone (HTTP Retry-After).
    /// The dispatcher waits at least this long, capped at its maximum delay.
    /// </summary>
    public TimeSpan? RetryAfter { get; init; }

    public static DeliveryResult Delivered() => new(DeliveryOutcome.Delivered);
    public static DeliveryResult Transient(string error) => new(DeliveryOutcome.Transient, error);
    public static DeliveryResult Transient(string error, TimeSpan? retryAfter) => new(DeliveryOutcome.Transient, error) { RetryAfter = retryAfter };
    public static DeliveryResult Permanent(string error) => new(DeliveryOutcome.Permanent, error);
}
