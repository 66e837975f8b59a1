namespace BlueTeam.Correlation.State;

/// <summary>
/// Counts events per key in event time and opens one incident per burst: <c>threshold</c> events
/// within <c>window</c> of each other. The engine behind the threshold and schedule kinds.
/// </summary>
/// <remarks>
/// <para>The burst's fingerprint is fixed when it opens, from the rule id, the key and the time of
/// its first event, so replaying the same log gives the same fingerprint. Every further event
/// while the burst goes on returns the same incident with a larger event_count and a later
/// last_seen. The burst ends when an event comes more than a window after the previous one.</para>
/// <para>Events may arrive out of order within a window (several files, clock jumps): they are
/// placed by their timestamp. An event older than the open burst by more than a window is a
/// straggler from a window already judged and is ignored. Keys idle for longer than the window
/// (against the newest event time seen) are dropped; past max_keys the least recently seen is evicted.</para>
/// </remarks>
public sealed class BurstCounter
{
    private readonly RuleSpec _spec;
    private readonly KeyedStateTable<KeyState> _keys;
    private DateTimeOffset _watermark = DateTimeOffset.MinValue;

    public BurstCounter(RuleSpec spec)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(spec.Settings.Threshold, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(spec.Settings.Window, TimeSpan.Zero);
        _spec = spec;
        _keys = new KeyedStateTable<KeyState>(spec.Settings.MaxKeys);
    }

    public int TrackedKeys => _keys.Count;
    public long EvictedKeys => _keys.Evicted;

    /// <summary>
    /// The earliest event time that live state depends on: an open burst's first event (its window start,
    /// which fixes the fingerprint) or the oldest pending event that a coming event could still count with.
    /// Null when nothing is live. State that the next event would expire is not live.
    /// </summary>
    public DateTimeOffset? OldestOpenEventTime
    {
        get
        {
            var window = _spec.Settings.Window;
            if (_keys.Count == 0) return null;
            var horizon = _watermark - window;
            DateTimeOffset? oldest = null;
            foreach (var state in _keys.States)
            {
                if (state.Burst is { } burst && burst.LastSeen >= horizon) oldest = Min(oldest, burst.FirstSeen);
                foreach (var (p, _) in state.Pending)
                {
                    if (p.Timestamp < horizon) continue;
                    oldest = Min(oldest, p.Timestamp);
                    break; // sorted by time
                }
            }
            return oldest;
        }
    }

    /// <summary>Where <paramref name="key"/> stands now (for explain); null when it has no state.</summary>
    public RuleProgress? ProgressOf(SecurityEvent e, string key)
    {
        if (!_keys.TryGet(key, out var state)) return null;
        var text = _spec.KeyText(state.KeyValues);
        return state.Burst is { } burst
            ? new RuleProgress(text, burst.Count, _spec.Settings.Threshold, _spec.Settings.Window, Open: true)
            : new RuleProgress(text, state.PendingWeight, _spec.Settings.Threshold, _spec.Settings.Window, Open: false);
    }

    internal static DateTimeOffset? Min(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x <= b ? x : b;

    /// <summary>Counts <paramref name="e"/> under <paramref name="key"/> and appends the incident it opened or updated, if any.</summary>
    /// <param name="key">The event's key (<see cref="RuleSpec.TryKey(SecurityEvent, out string)"/>).</param>
    public void Add(SecurityEvent e, string key, List<IncidentUpdate> updates)
    {
        var window = _spec.Settings.Window;
        var time = e.Timestamp;
        if (time > _watermark) _watermark = time;
        _keys.ExpireBefore(_watermark - window);

        var state = _keys.Touch(key, (_spec, e), static (k, a) => new KeyState(k, a._spec.KeyValues(a.e, k)));
        if (time > state.LastSeen) state.LastSeen = time;

        var weight = _spec.WeightOf(e);
        if (state.Burst is { } burst)
        {
            if (time <= burst.LastSeen + window && time >= burst.FirstSeen - window)
            {
                burst.Add(e, weight: weight);
                updates.Add(burst.Update());
                return;
            }
            if (time < burst.FirstSeen) return;
            state.Burst = null;
        }

        state.AddPending(e, weight, window);
        if (state.PendingWeight < _spec.Settings.Threshold) return;

        var first = state.Pending[0].Event;
        var opened = new IncidentAccumulator(_spec, state.KeyValues, first.Timestamp, first);
        foreach (var (p, w) in state.Pending) opened.Add(p, weight: w);
        state.ClearPending();
        state.Burst = opened;
        updates.Add(opened.Update());
    }

    private sealed class KeyState(string key, string[] keyValues) : KeyedState(key)
    {
        public string[] KeyValues { get; } = keyValues;
        public DateTimeOffset LastSeen { get; set; } = DateTimeOffset.MinValue;
        /// <summary>Events not yet part of a burst with their weights, sorted by time, all within one window of the newest; weighing less than the threshold.</summary>
        public List<(SecurityEvent Event, int Weight)> Pending { get; } = [];
        /// <summary>The sum of the pending events' weights (occurrences).</summary>
        public long PendingWeight { get; private set; }
        public IncidentAccumulator? Burst { get; set; }

        public override DateTimeOffset LastActivity => Burst is { } b && b.LastSeen > LastSeen ? b.LastSeen : LastSeen;

        public void AddPending(SecurityEvent e, int weight, TimeSpan window)
        {
            // Insert after any equal timestamps so that a replay keeps the log's order.
            var at = Pending.Count;
            while (at > 0 && Pending[at - 1].Event.Timestamp > e.Timestamp) at--;
            Pending.Insert(at, (e, weight));
            PendingWeight += weight;
            var newest = Pending[^1].Event.Timestamp;
            var drop = 0;
            while (drop < Pending.Count && Pending[drop].Event.Timestamp < newest - window) PendingWeight -= Pending[drop++].Weight;
            if (drop > 0) Pending.RemoveRange(0, drop);
        }

        public void ClearPending()
        {
            Pending.Clear();
            PendingWeight = 0;
        }
    }
}
