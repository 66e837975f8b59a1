namespace BlueTeam.Correlation.State;

/// <summary>Per-key state kept by a rule; <see cref="LastActivity"/> (event time) decides when it expires.</summary>
public abstract class KeyedState
{
    protected KeyedState(string key)
    {
        Key = key;
        Node = new LinkedListNode<KeyedState>(this);
    }

    public string Key { get; }
    internal LinkedListNode<KeyedState> Node { get; }
    public abstract DateTimeOffset LastActivity { get; }
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
    // Least recently touched first: the expiry and eviction order.
    private readonly LinkedList<KeyedState> _recency = new();

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
            _recency.Remove(state.Node);
            _recency.AddLast(state.Node);
            return state;
        }
        if (_states.Count >= MaxKeys && _recency.First is { } oldest)
        {
            Remove((TState)oldest.Value);
            Evicted++;
        }
        state = create(key, arg);
        _states.Add(key, state);
        _recency.AddLast(state.Node);
        return state;
    }

    /// <summary>Drops least-recently-touched keys whose last activity is before <paramref name="horizon"/>.</summary>
    public void ExpireBefore(DateTimeOffset horizon)
    {
        while (_recency.First is { } oldest && oldest.Value.LastActivity < horizon)
            Remove((TState)oldest.Value);
    }

    public void Remove(TState state)
    {
        _recency.Remove(state.Node);
        _states.Remove(state.Key);
    }
}
