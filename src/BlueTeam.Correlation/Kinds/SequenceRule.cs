namespace BlueTeam.Correlation.Kinds;

/// <summary>
/// Kind <c>sequence</c>: <c>threshold</c> or more events matching the <c>first</c> step, then an
/// event matching the <c>then</c> step, for the same key, all within <c>window_sec</c> (e.g. five
/// failed logins from a source and then a successful one: the guess worked).
/// </summary>
/// <remarks>
/// The incident's window starts at the earliest first-step event counted, which fixes the
/// fingerprint; further then-step (and first-step) events within a window of the incident's last
/// event update it. Its user is the account of the then-step event, the one that got in. Per key,
/// at most <see cref="MaxFirstStepsKept"/> first-step events are held (the newest), all within a window.
/// </remarks>
public sealed class SequenceRule : IRule, IStatefulRule
{
    public const string Kind = "sequence";

    private readonly RuleSpec _spec;
    private readonly EventFilter _first;
    private readonly EventFilter _then;
    private readonly KeyedStateTable<KeyState> _keys;
    private readonly int _maxKept;
    private DateTimeOffset _watermark = DateTimeOffset.MinValue;

    public SequenceRule(RuleSpec spec, EventFilter first, EventFilter then)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(spec.Settings.Threshold, 1);
        _spec = spec;
        _first = first;
        _then = then;
        _keys = new KeyedStateTable<KeyState>(spec.Settings.MaxKeys);
        _maxKept = Math.Max(spec.Settings.Threshold, MaxFirstStepsKept);
        _eager = new IncidentUpdates(Evaluate);
        Actions = EventFilter.Union(first.RequiredValues("event.action"), then.RequiredValues("event.action"));
    }

    private readonly IncidentUpdates _eager;
    public IReadOnlySet<string>? Actions { get; }

    /// <summary>First-step events kept per key (at least the threshold).</summary>
    public const int MaxFirstStepsKept = 64;

    public RuleDescriptor Descriptor => _spec.Descriptor;
    public int TrackedKeys => _keys.Count;
    public long EvictedKeys => _keys.Evicted;

    /// <inheritdoc/>
    public DateTimeOffset? OldestOpenEventTime
    {
        get
        {
            if (_keys.Count == 0) return null;
            var horizon = _watermark - _spec.Settings.Window;
            DateTimeOffset? oldest = null;
            foreach (var state in _keys.States)
            {
                if (state.Open is { } open && open.LastSeen >= horizon) oldest = BurstCounter.Min(oldest, open.FirstSeen);
                foreach (var (f, _) in state.Firsts)
                {
                    if (f.Timestamp < horizon) continue;
                    oldest = BurstCounter.Min(oldest, f.Timestamp);
                    break; // sorted by time
                }
            }
            return oldest;
        }
    }

    public bool Matches(SecurityEvent securityEvent) => _first.Matches(securityEvent) || _then.Matches(securityEvent);

    public IReadOnlyList<SecurityIncident> Evaluate(SecurityEvent securityEvent) => _eager.Render(securityEvent);

    public void Evaluate(SecurityEvent securityEvent, List<IncidentUpdate> updates)
    {
        var isFirst = _first.Matches(securityEvent);
        var isThen = !isFirst && _then.Matches(securityEvent);
        if (!isFirst && !isThen) return;
        if (!_spec.TryKey(securityEvent, out var key)) return;

        var window = _spec.Settings.Window;
        var time = securityEvent.Timestamp;
        if (time > _watermark) _watermark = time;
        _keys.ExpireBefore(_watermark - window);

        if (isThen && !_keys.TryGet(key, out _)) return; // nothing came first: the common case, keep no state
        var state = _keys.Touch(key, (_spec, securityEvent), static (k, a) => new KeyState(k, a._spec.KeyValues(a.securityEvent, k)));
        if (time > state.LastSeen) state.LastSeen = time;

        var weight = isFirst ? _spec.WeightOf(securityEvent) : 1;
        if (state.Open is { } open)
        {
            if (time <= open.LastSeen + window && time >= open.FirstSeen - window)
            {
                open.Add(securityEvent, weight: weight);
                if (isThen) open.UserOverride = securityEvent.User?.Name;
                if (isThen) updates.Add(open.Update());
                return;
            }
            if (time >= open.FirstSeen) state.Open = null;
            else return;
        }

        if (isFirst)
        {
            state.AddFirst(securityEvent, weight, window, _maxKept);
            return;
        }

        // A then-step event: enough first-step events in the window before it?
        var counted = state.Firsts.Where(f => f.Event.Timestamp <= time && f.Event.Timestamp >= time - window).ToList();
        if (counted.Sum(f => (long)f.Weight) < _spec.Settings.Threshold) return;

        var opened = new IncidentAccumulator(_spec, state.KeyValues, counted[0].Event.Timestamp, counted[0].Event);
        // Evidence: the latest first-step events and the then-step event, which matters most.
        var skip = Math.Max(0, counted.Count - (SecurityIncident.MaxEvidence - 1));
        for (var i = 0; i < counted.Count; i++) opened.Add(counted[i].Event, asEvidence: i >= skip, weight: counted[i].Weight);
        opened.Add(securityEvent);
        opened.UserOverride = securityEvent.User?.Name;
        state.Firsts.Clear();
        state.Open = opened;
        updates.Add(opened.Update());
    }

    private sealed class KeyState(string key, string[] keyValues) : KeyedState(key)
    {
        public string[] KeyValues { get; } = keyValues;
        public DateTimeOffset LastSeen { get; set; } = DateTimeOffset.MinValue;
        /// <summary>First-step events with their weights, sorted by time, within a window of the newest.</summary>
        public List<(SecurityEvent Event, int Weight)> Firsts { get; } = [];
        public IncidentAccumulator? Open { get; set; }
        public override DateTimeOffset LastActivity => Open is { } o && o.LastSeen > LastSeen ? o.LastSeen : LastSeen;

        public void AddFirst(SecurityEvent e, int weight, TimeSpan window, int max)
        {
            var at = Firsts.Count;
            while (at > 0 && Firsts[at - 1].Event.Timestamp > e.Timestamp) at--;
            Firsts.Insert(at, (e, weight));
            var newest = Firsts[^1].Event.Timestamp;
            var drop = 0;
            while (drop < Firsts.Count && (Firsts[drop].Event.Timestamp < newest - window || Firsts.Count - drop > max)) drop++;
            if (drop > 0) Firsts.RemoveRange(0, drop);
        }
    }
}

/// <summary>The <c>sequence</c> kind: <c>first</c> and <c>then</c> steps instead of one <c>match</c>.</summary>
public sealed class SequenceRuleKind : IRuleKind
{
    private const string StepsOnly = "only sequence rules have first and then steps";

    public string Name => SequenceRule.Kind;
    public IReadOnlyList<string> Options { get; } = [RuleOptionNames.Threshold, RuleOptionNames.WindowSec, RuleOptionNames.MaxKeys];
    public IReadOnlyList<KindKey> Keys { get; } = [new("first", StepsOnly), new("then", StepsOnly)];
    public bool HasMatch => false;
    public bool Weighted => true;

    public object? Read(DetectionReader detection)
    {
        if (detection.Has("match")) detection.Error("match", "a sequence has first and then steps instead of match");
        return new SequenceSteps(detection.Step("first"), detection.Step("then"));
    }

    public IEnumerable<MatchDefinition> Matches(DetectionDefinition detection)
    {
        var steps = detection.ParametersAs<SequenceSteps>();
        return [steps.First, steps.Then];
    }

    // The rule looks at events of either step; each step's own filter decides which it is.
    public EventFilter Filter(DetectionDefinition detection, RuleSettings settings)
    {
        var steps = detection.ParametersAs<SequenceSteps>();
        return new EventFilter([.. steps.First.Build(settings).Conditions, .. steps.Then.Build(settings).Conditions]);
    }

    public string Describe(DetectionDefinition detection, RuleSettings settings)
    {
        var steps = detection.ParametersAs<SequenceSteps>();
        return $"first {steps.First.Build(settings)} then {steps.Then.Build(settings)}";
    }

    public IRule Create(RuleSpec spec, DetectionDefinition detection, RuleContext context)
    {
        var steps = detection.ParametersAs<SequenceSteps>();
        return new SequenceRule(spec, steps.First.Build(spec.Settings), steps.Then.Build(spec.Settings));
    }
}

/// <summary>What a sequence detection reads: the step that must come first (<c>threshold</c> times) and the one that completes it.</summary>
public sealed record SequenceSteps(MatchDefinition First, MatchDefinition Then);
