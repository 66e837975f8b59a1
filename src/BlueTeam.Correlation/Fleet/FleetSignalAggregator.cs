using BlueTeam.Parsing;

namespace BlueTeam.Correlation.Fleet;

/// <summary>
/// Counts this host's authentication failures per (bucket, source, user) between two publications. The
/// pipeline adds events as it parses them; the publisher takes the counts about once a second and writes
/// them as one multi-row insert.
/// </summary>
/// <remarks>
/// Bounded: past <see cref="MaxKeys"/> distinct keys in one interval, new keys are dropped and counted
/// (<see cref="Dropped"/>) rather than growing without limit under a flood of distinct sources. A lock
/// guards the table because the pipeline worker adds while the publisher worker takes.
/// </remarks>
public sealed class FleetSignalAggregator
{
    /// <summary>The failures that count: sshd's own failed logins, as ssh_brute_force counts them.</summary>
    public static bool IsFailure(SecurityEvent e) =>
        e.Event.Action == EventActions.SshLogin && e.Event.Outcome == "failure" && !string.IsNullOrEmpty(e.Source?.Ip);

    private readonly object _gate = new();
    private readonly TimeSpan _bucket;
    private Dictionary<FleetSignalKey, int> _counts = [];
    private long _dropped;

    public FleetSignalAggregator(TimeSpan bucket, int maxKeys = 100_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(bucket, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxKeys);
        _bucket = bucket;
        MaxKeys = maxKeys;
    }

    public int MaxKeys { get; }

    /// <summary>Failures not published because the table was full (a flood of distinct sources within one interval).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Counts the failures among <paramref name="events"/>; other events are ignored.</summary>
    public void Observe(IReadOnlyList<SecurityEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            if (!IsFailure(e)) continue;
            var key = new FleetSignalKey(BucketOf(e.Timestamp), SourceNetwork.Of(e.Source, SourceNetwork.DefaultIpv6Prefix)!, e.User?.Name);
            var weight = Weight(e);
            lock (_gate)
            {
                if (_counts.TryGetValue(key, out var count)) _counts[key] = SaturatingAdd(count, weight);
                else if (_counts.Count < MaxKeys) _counts[key] = weight;
                else _dropped += weight;
            }
        }
    }

    /// <summary>Takes everything counted since the last call (and leaves the table empty).</summary>
    public IReadOnlyList<FleetSignal> Take(string host)
    {
        Dictionary<FleetSignalKey, int> taken;
        lock (_gate)
        {
            if (_counts.Count == 0) return [];
            taken = _counts;
            _counts = [];
        }
        return taken.OrderBy(k => k.Key.Bucket).ThenBy(k => k.Key.Source, StringComparer.Ordinal).ThenBy(k => k.Key.User, StringComparer.Ordinal)
            .Select(k => new FleetSignal(0, host, k.Key.Bucket, k.Key.Source, k.Key.User, k.Value)).ToList();
    }

    /// <summary>Puts back signals that could not be published (the store was down), merged with what came since.</summary>
    public void Return(IReadOnlyList<FleetSignal> signals)
    {
        ArgumentNullException.ThrowIfNull(signals);
        lock (_gate)
        {
            foreach (var s in signals)
            {
                var key = new FleetSignalKey(s.Bucket, s.Source, s.User);
                if (_counts.TryGetValue(key, out var count)) _counts[key] = SaturatingAdd(count, s.Failures);
                else if (_counts.Count < MaxKeys) _counts[key] = s.Failures;
                else _dropped += s.Failures;
            }
        }
    }

    private DateTimeOffset BucketOf(DateTimeOffset t)
    {
        var utc = t.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - utc.Ticks % _bucket.Ticks, TimeSpan.Zero);
    }

    // "message repeated N times: [ Failed password … ]" is N failures, as ssh_brute_force weighs it.
    private static int Weight(SecurityEvent e) =>
        e.Labels is { } labels && labels.TryGetValue(Parsing.Auth.AuthLogParser.RepeatCountLabel, out var text) && int.TryParse(text, out var n) && n > 0 ? n : 1;

    private static int SaturatingAdd(int a, int b) => (int)Math.Min(int.MaxValue, (long)a + b);
}
