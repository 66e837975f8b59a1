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
public sealed class DistinctCountRule : IRule, IStatefulRule, IRuleProgress
{
    public const string Kind = "distinct_count";
    public const int MaxDistinctTracked = 10_000;

    private readonly RuleSpec _spec;
    private readonly EventField _distinct;
    private readonly WindowedKeys<KeyState> _keys;

    public DistinctCountRule(RuleSpec spec, EventField distinct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(spec.Settings.Threshold, 1);
        _spec = spec;
        _distinct = distinct;
        _keys = new WindowedKeys<KeyState>(spec, static (k, values) => new KeyState(k, values));
        _eager = new IncidentUpdates(Evaluate);
        Actions = spec.Filter.RequiredValues("event.action");
    }

    private readonly IncidentUpdates _eager;
    public IReadOnlySet<string>? Actions { get; }

    public RuleDescriptor Descriptor => _spec.Descriptor;
    public int TrackedKeys => _keys.Count;
    public long EvictedKeys => _keys.Evicted;

    /// <inheritdoc/>
    public DateTimeOffset? OldestOpenEventTime => _keys.OldestOpenEventTime;

    public bool Matches(SecurityEvent securityEvent) => _spec.Filter.Matches(securityEvent);

    public IReadOnlyList<SecurityIncident> Evaluate(SecurityEvent securityEvent) => _eager.Render(securityEvent);

    public RuleProgress? ProgressOf(SecurityEvent securityEvent)
    {
        if (!_spec.Filter.Matches(securityEvent) || !_spec.TryKey(securityEvent, out var key) || !_keys.TryGet(key, out var state)) return null;
        var text = _spec.KeyText(state.KeyValues);
        return state.Open is not null
            ? new RuleProgress(text, state.Distinct.Count, _spec.Settings.Threshold, _spec.Settings.Window, Open: true)
            : new RuleProgress(text, state.Pending.Count, _spec.Settings.Threshold, _spec.Settings.Window, Open: false);
    }

    public void Evaluate(SecurityEvent securityEvent, List<IncidentUpdate> updates)
    {
        if (!_spec.Filter.Matches(securityEvent) || !_spec.TryKey(securityEvent, out var key)) return;
        var value = _distinct.ReadText(securityEvent);
        if (string.IsNullOrEmpty(value)) return;

        var window = _spec.Settings.Window;
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
        if (state.Pending.Count < _spec.Settings.Threshold) return;

        // Placed in time order so that the window start, and so the fingerprint, does not depend on arrival order.
        var ordered = state.Pending.Values.OrderBy(e => e.Timestamp).ToList();
        var opened = new IncidentAccumulator(_spec, state.KeyValues, ordered[0].Timestamp, ordered[0]);
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
