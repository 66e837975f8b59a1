namespace BlueTeam.Alerting;

/// <summary>How the <see cref="DeliveryDispatcher"/> retries transient failures.</summary>
/// <remarks>
/// The wait after attempt n is <c>min(MaxDelay, BaseDelay · 2^(n-1))</c>, then jittered down to
/// between half and all of it, so many deliveries failing together do not retry in lock-step.
/// With the defaults (5 s, cap 10 min, 8 attempts) a delivery is given up after roughly 10 minutes
/// of the channel being down in the best case and about 21 minutes in the worst.
/// </remarks>
public sealed class DeliveryRetryOptions
{
    /// <summary>The wait after the first failed attempt, before jitter. Default 5 seconds.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait between two attempts. Default 10 minutes.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Attempts (including the first) before a transiently failing delivery is marked failed. Default 8.</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Deliveries read from the outbox per round. Default 100.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>Source of jitter in [0, 1); tests pin it. Default: <see cref="Random.Shared"/>.</summary>
    public Func<double> Jitter { get; set; } = Random.Shared.NextDouble;

    /// <exception cref="ArgumentOutOfRangeException">A value that would make retry meaningless.</exception>
    public void Validate()
    {
        if (BaseDelay <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(BaseDelay), BaseDelay, "must be positive");
        if (MaxDelay < BaseDelay) throw new ArgumentOutOfRangeException(nameof(MaxDelay), MaxDelay, "must be at least BaseDelay");
        if (MaxAttempts < 1) throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "must be at least 1");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "must be at least 1");
        ArgumentNullException.ThrowIfNull(Jitter);
    }

    /// <summary>The wait after failed attempt number <paramref name="attempt"/> (1-based).</summary>
    public TimeSpan BackoffAfter(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        // Doubling in floating point and clamping before converting avoids overflow at high attempts.
        var ceiling = Math.Min(MaxDelay.TotalMilliseconds, BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 62)));
        var unit = Math.Clamp(Jitter(), 0.0, 1.0);
        return TimeSpan.FromMilliseconds(ceiling / 2 + ceiling / 2 * unit);
    }
}
