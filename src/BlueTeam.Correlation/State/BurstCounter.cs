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
    private readonly WindowedKeys<HoldingState> _keys;

    public BurstCounter(RuleSpec spec)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(spec.Settings.Threshold, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(spec.Settings.Window, TimeSpan.Zero);
        _spec = spec;
        _keys = new WindowedKeys<HoldingState>(spec, static (k, values) => new HoldingState(k, values));
    }

    public int TrackedKeys => _keys.Count;
    public long EvictedKeys => _keys.Evicted;

    /// <inheritdoc cref="WindowedKeys{TState}.OldestOpenEventTime"/>
    public DateTimeOffset? OldestOpenEventTime => _keys.OldestOpenEventTime;

    /// <summary>Where <paramref name="key"/> stands now (for explain); null when it has no state.</summary>
    public RuleProgress? ProgressOf(SecurityEvent e, string key)
    {
        if (!_keys.TryGet(key, out var state)) return null;
        var text = _spec.KeyText(state.KeyValues);
        return state.Open is { } burst
            ? new RuleProgress(text, burst.Count, _spec.Settings.Threshold, _spec.Settings.Window, Open: true)
            : new RuleProgress(text, state.HeldWeight, _spec.Settings.Threshold, _spec.Settings.Window, Open: false);
    }

    /// <summary>Counts <paramref name="e"/> under <paramref name="key"/> and appends the incident it opened or updated, if any.</summary>
    /// <param name="key">The event's key (<see cref="RuleSpec.TryKey(SecurityEvent, out string)"/>).</param>
    public void Add(SecurityEvent e, string key, List<IncidentUpdate> updates)
    {
        var window = _spec.Settings.Window;
        _keys.Advance(e.Timestamp);
        var state = _keys.Touch(e, key);

        var weight = _spec.WeightOf(e);
        if (state.Continued(e.Timestamp, window, out var straggler) is { } burst)
        {
            burst.Add(e, weight: weight);
            updates.Add(burst.Update());
            return;
        }
        if (straggler) return;

        // Events not yet part of a burst, all within one window of the newest, weighing less than the threshold.
        state.Hold(e, weight, window);
        if (state.HeldWeight < _spec.Settings.Threshold) return;

        var pending = state.Held;
        var opened = new IncidentAccumulator(_spec, state.KeyValues, pending[0].Event.Timestamp, pending[0].Event);
        for (var i = 0; i < pending.Count; i++) opened.Add(pending[i].Event, weight: pending[i].Weight);
        state.ClearHeld();
        state.Open = opened;
        updates.Add(opened.Update());
    }
}
