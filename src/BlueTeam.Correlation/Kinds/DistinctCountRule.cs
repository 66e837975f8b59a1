namespace BlueTeam.Correlation.Kinds;

/// <summary>
/// Kind <c>distinct_count</c>: <c>threshold</c> or more distinct values of the <c>distinct</c>
/// field among matching events with the same group key within <c>window_sec</c> (password spray:
/// many user names failing from one source; scanning: many paths answered 4xx).
/// </summary>
/// <remarks>
/// Before the threshold, each key keeps only the latest event per distinct value, so its state is
/// bounded by the threshold whatever the event rate. Once open, the incident is updated by every
/// matching event within a window of its last one; the distinct values it reports are capped at
/// <see cref="MaxDistinctTracked"/> (beyond that the count reads as a lower bound).
/// </remarks>
public sealed class DistinctCountRule : EventTimeRule, IStatefulRule, IRuleProgress
{
    public const string Kind = "distinct_count";
    public const int MaxDistinctTracked = 10_000;

    private readonly EventField _distinct;
    private readonly WindowedKeys<KeyState> _keys;

    public DistinctCountRule(RuleSpec spec, EventField distinct)
        : base(spec)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(spec.Settings.Threshold, 1);
        _distinct = distinct;
        _keys = new WindowedKeys<KeyState>(spec, static (k, values) => new KeyState(k, values));
    }

    public int TrackedKeys => _keys.Count;
    public long EvictedKeys => _keys.Evicted;

    /// <inheritdoc/>
    public DateTimeOffset? OldestOpenEventTime => _keys.OldestOpenEventTime;

    public RuleProgress? ProgressOf(SecurityEvent securityEvent)
    {
        if (!Spec.Filter.Matches(securityEvent) || !Spec.TryKey(securityEvent, out var key) || !_keys.TryGet(key, out var state)) return null;
        var text = Spec.KeyText(state.KeyValues);
        return state.Open is not null
            ? new RuleProgress(text, state.Distinct.Count, Spec.Settings.Threshold, Spec.Settings.Window, Open: true)
            : new RuleProgress(text, state.Pending.Count, Spec.Settings.Threshold, Spec.Settings.Window, Open: false);
    }

    public override void Evaluate(SecurityEvent securityEvent, List<IncidentUpdate> updates)
    {
        if (!Spec.Filter.Matches(securityEvent) || !Spec.TryKey(securityEvent, out var key)) return;
        var value = _distinct.ReadText(securityEvent);
        if (string.IsNullOrEmpty(value)) return;

        var window = Spec.Settings.Window;
        var time = securityEvent.Timestamp;
        _keys.Advance(time);
        var state = _keys.Touch(securityEvent, key);

        if (state.Continued(time, window, out var straggler) is { } burst)
        {
            burst.Add(securityEvent);
            if (state.Distinct.Count < MaxDistinctTracked) state.Distinct.Add(value);
            updates.Add(burst.Update(distinctCount: state.Distinct.Count));
            return;
        }
        if (straggler) return;

        if (!state.Pending.TryGetValue(value, out var held) || held.Timestamp <= time) state.Pending[value] = securityEvent;
        // Loops rather than LINQ: this runs for every matching event below the threshold (an iterator, a
        // closure and a list per event were this rule's whole allocation).
        var newest = DateTimeOffset.MinValue;
        foreach (var e in state.Pending.Values) if (e.Timestamp > newest) newest = e.Timestamp;
        foreach (var (pendingValue, e) in state.Pending)
            if (e.Timestamp < newest - window) state.Pending.Remove(pendingValue); // removing while enumerating is allowed
        if (state.Pending.Count < Spec.Settings.Threshold) return;

        // Placed in time order so that the window start, and so the fingerprint, does not depend on arrival order.
        var ordered = state.Pending.Values.OrderBy(e => e.Timestamp).ToList();
        var opened = new IncidentAccumulator(Spec, state.KeyValues, ordered[0].Timestamp, ordered[0]);
        foreach (var e in ordered) opened.Add(e);
        foreach (var v in state.Pending.Keys) state.Distinct.Add(v);
        state.Pending.Clear();
        state.Open = opened;
        updates.Add(opened.Update(distinctCount: state.Distinct.Count));
    }

    private sealed class KeyState(string key, string[] keyValues) : WindowedState(key, keyValues)
    {
        /// <summary>Latest event per distinct value, all within a window of the newest; fewer values than the threshold.</summary>
        public Dictionary<string, SecurityEvent> Pending { get; } = new(StringComparer.Ordinal);
        public HashSet<string> Distinct { get; } = new(StringComparer.Ordinal);

        public override DateTimeOffset? OldestHeld(DateTimeOffset horizon)
        {
            DateTimeOffset? oldest = null;
            foreach (var e in Pending.Values)
                if (e.Timestamp >= horizon && (oldest is null || e.Timestamp < oldest)) oldest = e.Timestamp;
            return oldest;
        }

        protected override void OnClosed() => Distinct.Clear();
    }
}

/// <summary>The <c>distinct_count</c> kind: its <c>distinct</c> key names the field whose values are counted.</summary>
public sealed class DistinctCountRuleKind : IRuleKind
{
    public string Name => DistinctCountRule.Kind;
    public IReadOnlyList<string> Options { get; } = [RuleOptionNames.Threshold, RuleOptionNames.WindowSec, RuleOptionNames.MaxKeys];
    public IReadOnlyList<KindKey> Keys { get; } = [new("distinct", "only distinct_count rules count distinct values")];
    public object? Read(DetectionReader detection) => detection.Field("distinct");
    public IRule Create(RuleSpec spec, DetectionDefinition detection, RuleContext context) => new DistinctCountRule(spec, detection.ParametersAs<EventField>());
}
