namespace BlueTeam.Correlation.State;

/// <summary>Per-key state kept by a rule; <see cref="LastActivity"/> (event time) decides when it expires.</summary>
public abstract class KeyedState
{
    protected KeyedState(string key) => Key = key;

    public string Key { get; }
    public abstract DateTimeOffset LastActivity { get; }

    // The table's recency list runs through the states themselves: a separate LinkedListNode per key cost
    // ≈ 48 B more for every key of every rule, which a million-address flood multiplies (docs/PERFORMANCE.md).
    internal KeyedState? Older;
    internal KeyedState? Newer;
    internal bool Linked;
}

/// <summary>
/// A rule's per-key state with a hard bound: at most <see cref="MaxKeys"/> keys, the least
/// recently touched evicted first, and keys idle past the expiry horizon dropped.
/// </summary>
/// <remarks>
/// A flood of distinct source addresses must not grow memory without limit (a spoofed-source
/// scan is exactly such a flood), so the table is an LRU map: O(1) lookup, touch, eviction and
/// expiry, amortized. Expiry walks from the least recently touched end and stops at the first
/// live key; with events arriving roughly in time order that end is also the oldest in time.
/// </remarks>
public sealed class KeyedStateTable<TState> where TState : KeyedState
{
    private readonly Dictionary<string, TState> _states = new(StringComparer.Ordinal);
    // The recency list, least recently touched first (the expiry and eviction order), linked through the states.
    private KeyedState? _oldest;
    private KeyedState? _newest;

    public KeyedStateTable(int maxKeys)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxKeys, 1);
        MaxKeys = maxKeys;
    }

    public int MaxKeys { get; }
    public int Count => _states.Count;
    /// <summary>Keys dropped because the table was full, not because their window closed.</summary>
    public long Evicted { get; private set; }

    public IEnumerable<TState> States => _states.Values;

    public bool TryGet(string key, out TState state) => _states.TryGetValue(key, out state!);

    /// <summary>The key's state, created when new (evicting the least recently touched key if full); marks it most recently touched.</summary>
    public TState Touch(string key, Func<string, TState> create) => Touch(key, create, static (k, make) => make(k));

    /// <summary><see cref="Touch(string, Func{string, TState})"/> with an argument for <paramref name="create"/>, so that a static lambda needs no closure per call.</summary>
    public TState Touch<TArg>(string key, TArg arg, Func<string, TArg, TState> create)
    {
        if (_states.TryGetValue(key, out var state))
        {
            if (!ReferenceEquals(state, _newest))
            {
                Unlink(state);
                Append(state);
            }
            return state;
        }
        if (_states.Count >= MaxKeys && _oldest is { } oldest)
        {
            Remove((TState)oldest);
            Evicted++;
        }
        state = create(key, arg);
        _states.Add(key, state);
        Append(state);
        return state;
    }

    /// <summary>Drops least-recently-touched keys whose last activity is before <paramref name="horizon"/>.</summary>
    public void ExpireBefore(DateTimeOffset horizon)
    {
        while (_oldest is { } oldest && oldest.LastActivity < horizon)
            Remove((TState)oldest);
    }

    public void Remove(TState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        // A state of another table, or one removed already, is not this table's to unlink (LinkedList threw then too).
        if (!_states.TryGetValue(state.Key, out var held) || !ReferenceEquals(held, state))
            throw new InvalidOperationException($"the state of key {state.Key} is not in this table");
        Unlink(state);
        _states.Remove(state.Key);
    }

    private void Append(KeyedState state)
    {
        state.Older = _newest;
        state.Newer = null;
        if (_newest is null) _oldest = state;
        else _newest.Newer = state;
        _newest = state;
        state.Linked = true;
    }

    private void Unlink(KeyedState state)
    {
        if (!state.Linked) return;
        if (state.Older is null) _oldest = state.Newer;
        else state.Older.Newer = state.Newer;
        if (state.Newer is null) _newest = state.Older;
        else state.Newer.Older = state.Older;
        state.Older = state.Newer = null;
        state.Linked = false;
    }
}
