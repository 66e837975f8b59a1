namespace BlueTeam.Correlation;

/// <summary>What <see cref="IFirstSeenStore.Observe"/> found.</summary>
public enum FirstSeenResult
{
    /// <summary>This value was seen before for this key.</summary>
    Known,
    /// <summary>The key has history, but not this value: the interesting case.</summary>
    NewValue,
    /// <summary>Nothing at all was known about the key (its first value ever).</summary>
    NewKey,
}

/// <summary>
/// The memory of first-seen rules: which values each key has shown (which source addresses each
/// user has logged in from), kept across restarts so that "never seen before" means what it says.
/// </summary>
/// <remarks>
/// Called on the correlator's single thread for each matching event, so it must answer fast: a
/// persistent implementation keeps its working set in memory and writes new pairs behind (they
/// are rare by nature). It records the pair whatever it returns. Implementations may forget
/// pairs to bound memory; a forgotten pair is reported as new again, which errs on the side of alerting.
/// </remarks>
public interface IFirstSeenStore
{
    /// <summary>Records that <paramref name="key"/> showed <paramref name="value"/> at <paramref name="seenAt"/> (event time) for rule <paramref name="ruleName"/>.</summary>
    FirstSeenResult Observe(string ruleName, string key, string value, DateTimeOffset seenAt);
}

/// <summary>
/// A first-seen memory that lives as long as the process: for <c>scan</c>, <c>rules test</c> and
/// tests. Bounded: past <see cref="MaxPairs"/> pairs, the oldest recorded pair is forgotten.
/// </summary>
public sealed class InMemoryFirstSeenStore : IFirstSeenStore
{
    private readonly Dictionary<(string Rule, string Key), HashSet<string>> _values = [];
    private readonly Queue<(string Rule, string Key, string Value)> _order = new();

    public InMemoryFirstSeenStore(int maxPairs = 1_000_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPairs, 1);
        MaxPairs = maxPairs;
    }

    public int MaxPairs { get; }
    public int Count => _order.Count;

    public FirstSeenResult Observe(string ruleName, string key, string value, DateTimeOffset seenAt)
    {
        if (_values.TryGetValue((ruleName, key), out var seen))
        {
            if (!seen.Add(value)) return FirstSeenResult.Known;
            Remember(ruleName, key, value);
            return FirstSeenResult.NewValue;
        }
        _values[(ruleName, key)] = new HashSet<string>(StringComparer.Ordinal) { value };
        Remember(ruleName, key, value);
        return FirstSeenResult.NewKey;
    }

    private void Remember(string rule, string key, string value)
    {
        _order.Enqueue((rule, key, value));
        if (_order.Count <= MaxPairs) return;
        var (r, k, v) = _order.Dequeue();
        if (_values.TryGetValue((r, k), out var set) && set.Remove(v) && set.Count == 0) _values.Remove((r, k));
    }
}
