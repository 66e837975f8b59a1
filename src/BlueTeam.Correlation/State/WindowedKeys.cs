namespace BlueTeam.Correlation.State;

/// <summary>
/// The per-key state of a rule that counts in event time (the burst counter, distinct_count, sequence, steady):
/// the newest event time seen (the watermark), keys idle for a window before it expired, at most max_keys kept,
/// each key's values read once, and when it was last seen.
/// </summary>
public sealed class WindowedKeys<TState> where TState : WindowedState
{
    private readonly RuleSpec _spec;
    private readonly KeyedStateTable<TState> _keys;
    private readonly Func<string, string[], TState> _create;

    /// <param name="create">Makes a key's state from the key and its values in group_by order.</param>
    public WindowedKeys(RuleSpec spec, Func<string, string[], TState> create)
    {
        _spec = spec;
        _create = create;
        _keys = new KeyedStateTable<TState>(spec.Settings.MaxKeys);
    }

    /// <summary>The newest event time seen.</summary>
    public DateTimeOffset Watermark { get; private set; } = DateTimeOffset.MinValue;
    public int Count => _keys.Count;
    public long Evicted => _keys.Evicted;
    public IEnumerable<TState> States => _keys.States;

    public bool TryGet(string key, out TState state) => _keys.TryGet(key, out state);

    /// <summary>Moves the watermark to <paramref name="time"/> when newer, and drops the keys idle for a window before it.</summary>
    public void Advance(DateTimeOffset time)
    {
        if (time > Watermark) Watermark = time;
        _keys.ExpireBefore(Watermark - _spec.Settings.Window);
    }

    /// <summary>The state of <paramref name="e"/>'s <paramref name="key"/> (made when new), last seen no earlier than <paramref name="e"/>.</summary>
    public TState Touch(SecurityEvent e, string key)
    {
        var state = _keys.Touch(key, (this, e), static (k, a) => a.Item1._create(k, a.Item1._spec.KeyValues(a.e, k)));
        if (e.Timestamp > state.LastSeen) state.LastSeen = e.Timestamp;
        return state;
    }

    /// <summary>
    /// The earliest event time that live state depends on (<see cref="IStatefulRule.OldestOpenEventTime"/>): an open
    /// incident's first event (its window start, which fixes the fingerprint) or the oldest held event that a coming
    /// event could still count with. Null when nothing is live; state that the next event would expire is not live.
    /// </summary>
    public DateTimeOffset? OldestOpenEventTime
    {
        get
        {
            if (_keys.Count == 0) return null;
            var horizon = Watermark - _spec.Settings.Window;
            DateTimeOffset? oldest = null;
            foreach (var state in _keys.States)
            {
                if (state.Open is { } open && open.LastSeen >= horizon) oldest = Min(oldest, open.FirstSeen);
                if (state.OldestHeld(horizon) is { } held) oldest = Min(oldest, held);
            }
            return oldest;
        }
    }

    private static DateTimeOffset Min(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x <= b ? x : b;
}

/// <summary>One key's state in <see cref="WindowedKeys{TState}"/>: its values, when it was last seen, and the incident open for it.</summary>
public abstract class WindowedState(string key, string[] keyValues) : KeyedState(key)
{
    public string[] KeyValues { get; } = keyValues;
    public DateTimeOffset LastSeen { get; set; } = DateTimeOffset.MinValue;
    /// <summary>The incident open for the key, updated while events keep coming within a window of it.</summary>
    public IncidentAccumulator? Open { get; set; }
    public override DateTimeOffset LastActivity => Open is { } o && o.LastSeen > LastSeen ? o.LastSeen : LastSeen;

    /// <summary>The earliest time, at or after <paramref name="horizon"/>, of the events held toward an incident not yet open.</summary>
    public virtual DateTimeOffset? OldestHeld(DateTimeOffset horizon) => null;

    /// <summary>
    /// The open incident an event at <paramref name="time"/> goes on: one it falls within a window of. An event older
    /// than the incident's start by more than a window is a <paramref name="straggler"/> from a window already judged,
    /// to be ignored; one more than a window after it ends the incident (<see cref="OnClosed"/>), and counting starts afresh.
    /// </summary>
    public IncidentAccumulator? Continued(DateTimeOffset time, TimeSpan window, out bool straggler)
    {
        straggler = false;
        if (Open is not { } open) return null;
        if (time <= open.LastSeen + window && time >= open.FirstSeen - window) return open;
        if (time < open.FirstSeen)
        {
            straggler = true;
            return null;
        }
        Open = null;
        OnClosed();
        return null;
    }

    /// <summary>Clears what the key counted toward the incident that has just ended.</summary>
    protected virtual void OnClosed() { }
}

/// <summary>
/// A key's state that holds events toward an incident not yet open, with their weights (occurrences), sorted by time,
/// all within a window of the newest: a burst's pending events, a sequence's first steps.
/// </summary>
/// <remarks>The held events live in the state itself, not in an object of their own: one object less for every key of a flood.</remarks>
public sealed class HoldingState(string key, string[] keyValues) : WindowedState(key, keyValues)
{
    private readonly List<(SecurityEvent Event, int Weight)> _held = [];

    /// <summary>The held events, oldest first.</summary>
    public IReadOnlyList<(SecurityEvent Event, int Weight)> Held => _held;

    /// <summary>The sum of the held events' weights.</summary>
    public long HeldWeight { get; private set; }

    /// <summary>Holds <paramref name="e"/>, then drops what is more than <paramref name="window"/> older than the newest, and the oldest beyond <paramref name="max"/>.</summary>
    public void Hold(SecurityEvent e, int weight, TimeSpan window, int max = int.MaxValue)
    {
        // Insert after any equal timestamps so that a replay keeps the log's order.
        var at = _held.Count;
        while (at > 0 && _held[at - 1].Event.Timestamp > e.Timestamp) at--;
        _held.Insert(at, (e, weight));
        HeldWeight += weight;
        var newest = _held[^1].Event.Timestamp;
        var drop = 0;
        while (drop < _held.Count && (_held[drop].Event.Timestamp < newest - window || _held.Count - drop > max)) HeldWeight -= _held[drop++].Weight;
        if (drop > 0) _held.RemoveRange(0, drop);
    }

    public void ClearHeld()
    {
        _held.Clear();
        HeldWeight = 0;
    }

    public override DateTimeOffset? OldestHeld(DateTimeOffset horizon)
    {
        foreach (var (e, _) in _held)
            if (e.Timestamp >= horizon) return e.Timestamp;
        return null;
    }
}
