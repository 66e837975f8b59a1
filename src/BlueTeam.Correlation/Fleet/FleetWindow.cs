namespace BlueTeam.Correlation.Fleet;

/// <summary>
/// The fleet's recent signals in memory, indexed by source and by user, kept for the longest window of
/// the fleet rules in event time (bucket times) behind the newest bucket seen.
/// </summary>
/// <remarks>
/// Windows run on the hosts' event time, like every rule, so a burst read late (a host catching up after
/// an outage) is judged by when it happened. Signals older than the retention behind the newest bucket are
/// pruned when they arrive and whenever the newest bucket advances.
/// </remarks>
public sealed class FleetWindow
{
    private readonly Dictionary<string, List<FleetSignal>> _bySource = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<FleetSignal>> _byUser = new(StringComparer.Ordinal);
    private DateTimeOffset _prunedAt = DateTimeOffset.MinValue;

    public FleetWindow(TimeSpan retention)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(retention, TimeSpan.Zero);
        Retention = retention;
    }

    public TimeSpan Retention { get; }

    /// <summary>The newest bucket of any signal added (MinValue when empty).</summary>
    public DateTimeOffset Newest { get; private set; } = DateTimeOffset.MinValue;

    public int Count { get; private set; }

    /// <summary>Adds signals (those already too old are ignored) and prunes what fell out of the retention.</summary>
    public void Add(IEnumerable<FleetSignal> signals)
    {
        ArgumentNullException.ThrowIfNull(signals);
        foreach (var s in signals)
        {
            if (s.Bucket > Newest) Newest = s.Bucket;
            if (s.Bucket < Newest - Retention) continue;
            Index(_bySource, s.Source, s);
            if (s.User is { } user) Index(_byUser, user, s);
            Count++;
        }
        if (Newest - _prunedAt >= Retention / 10) Prune();
    }

    /// <summary>The signals of <paramref name="source"/> still in the window (any order).</summary>
    public IReadOnlyList<FleetSignal> BySource(string source) => _bySource.TryGetValue(source, out var list) ? list : [];

    /// <summary>The signals against <paramref name="user"/> still in the window (any order).</summary>
    public IReadOnlyList<FleetSignal> ByUser(string user) => _byUser.TryGetValue(user, out var list) ? list : [];

    private static void Index(Dictionary<string, List<FleetSignal>> index, string key, FleetSignal signal)
    {
        if (!index.TryGetValue(key, out var list)) index[key] = list = [];
        list.Add(signal);
    }

    private void Prune()
    {
        _prunedAt = Newest;
        var horizon = Newest - Retention;
        Count -= Prune(_bySource, horizon);
        Prune(_byUser, horizon);
    }

    private static int Prune(Dictionary<string, List<FleetSignal>> index, DateTimeOffset horizon)
    {
        var removed = 0;
        List<string>? empty = null;
        foreach (var (key, list) in index)
        {
            removed += list.RemoveAll(s => s.Bucket < horizon);
            if (list.Count == 0) (empty ??= []).Add(key);
        }
        if (empty is not null) foreach (var key in empty) index.Remove(key);
        return removed;
    }
}
