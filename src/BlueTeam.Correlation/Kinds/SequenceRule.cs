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
public sealed class SequenceRule : EventTimeRule, IStatefulRule
{
    public const string Kind = "sequence";

    private readonly EventFilter _first;
    private readonly EventFilter _then;
    // A key's held events are its first-step events, at most the rule's max kept.
    private readonly WindowedKeys<HoldingState> _keys;
    private readonly int _maxKept;

    public SequenceRule(RuleSpec spec, EventFilter first, EventFilter then)
        : base(spec, EventFilter.Union(first.RequiredValues("event.action"), then.RequiredValues("event.action")))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(spec.Settings.Threshold, 1);
        _first = first;
        _then = then;
        _keys = new WindowedKeys<HoldingState>(spec, static (k, values) => new HoldingState(k, values));
        _maxKept = Math.Max(spec.Settings.Threshold, MaxFirstStepsKept);
    }

    /// <summary>First-step events kept per key (at least the threshold).</summary>
    public const int MaxFirstStepsKept = 64;

    public int TrackedKeys => _keys.Count;
    public long EvictedKeys => _keys.Evicted;

    /// <inheritdoc/>
    public DateTimeOffset? OldestOpenEventTime => _keys.OldestOpenEventTime;

    public override bool Matches(SecurityEvent securityEvent) => _first.Matches(securityEvent) || _then.Matches(securityEvent);

    public override void Evaluate(SecurityEvent securityEvent, List<IncidentUpdate> updates)
    {
        var isFirst = _first.Matches(securityEvent);
        var isThen = !isFirst && _then.Matches(securityEvent);
        if (!isFirst && !isThen) return;
        if (!Spec.TryKey(securityEvent, out var key)) return;

        var window = Spec.Settings.Window;
        var time = securityEvent.Timestamp;
        _keys.Advance(time);

        if (isThen && !_keys.TryGet(key, out _)) return; // nothing came first: the common case, keep no state
        var state = _keys.Touch(securityEvent, key);

        var weight = isFirst ? Spec.WeightOf(securityEvent) : 1;
        if (state.Continued(time, window, out var straggler) is { } open)
        {
            open.Add(securityEvent, weight: weight);
            if (isThen) open.UserOverride = securityEvent.User?.Name;
            if (isThen) updates.Add(open.Update());
            return;
        }
        if (straggler) return;

        if (isFirst)
        {
            state.Hold(securityEvent, weight, window, _maxKept);
            return;
        }

        // A then-step event: enough first-step events in the window before it?
        var counted = state.Held.Where(f => f.Event.Timestamp <= time && f.Event.Timestamp >= time - window).ToList();
        if (counted.Sum(f => (long)f.Weight) < Spec.Settings.Threshold) return;

        var opened = new IncidentAccumulator(Spec, state.KeyValues, counted[0].Event.Timestamp, counted[0].Event);
        // Evidence: the latest first-step events and the then-step event, which matters most.
        var skip = Math.Max(0, counted.Count - (SecurityIncident.MaxEvidence - 1));
        for (var i = 0; i < counted.Count; i++) opened.Add(counted[i].Event, asEvidence: i >= skip, weight: counted[i].Weight);
        opened.Add(securityEvent);
        opened.UserOverride = securityEvent.User?.Name;
        state.ClearHeld();
        state.Open = opened;
        updates.Add(opened.Update());
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
