namespace BlueTeam.Correlation.Kinds;

/// <summary>
/// Kind <c>threshold</c>: <c>threshold</c> or more matching events with the same group key within
/// <c>window_sec</c> of each other, in event time. With threshold 1 it is a single-event rule
/// (root_login, account_created) that still makes one incident per key and window, not one per event.
/// </summary>
public sealed class ThresholdRule : IRule, IStatefulRule, IRuleProgress
{
    public const string Kind = "threshold";

    private readonly RuleSpec _spec;
    private readonly BurstCounter _counter;
    private readonly IncidentUpdates _eager;

    public ThresholdRule(RuleSpec spec)
    {
        _spec = spec;
        _counter = new BurstCounter(spec);
        _eager = new IncidentUpdates(Evaluate);
        Actions = spec.Filter.RequiredValues("event.action");
    }

    public IReadOnlySet<string>? Actions { get; }

    public RuleDescriptor Descriptor => _spec.Descriptor;
    public int TrackedKeys => _counter.TrackedKeys;
    public long EvictedKeys => _counter.EvictedKeys;
    public DateTimeOffset? OldestOpenEventTime => _counter.OldestOpenEventTime;

    public bool Matches(SecurityEvent securityEvent) => _spec.Filter.Matches(securityEvent);

    public IReadOnlyList<SecurityIncident> Evaluate(SecurityEvent securityEvent) => _eager.Render(securityEvent);

    public RuleProgress? ProgressOf(SecurityEvent securityEvent) =>
        _spec.Filter.Matches(securityEvent) && _spec.TryKey(securityEvent, out var key) ? _counter.ProgressOf(securityEvent, key) : null;

    public void Evaluate(SecurityEvent securityEvent, List<IncidentUpdate> updates)
    {
        if (!_spec.Filter.Matches(securityEvent) || !_spec.TryKey(securityEvent, out var key)) return;
        _counter.Add(securityEvent, key, updates);
    }
}

/// <summary>The <c>threshold</c> kind: a count of events per key within a window.</summary>
public sealed class ThresholdRuleKind : IRuleKind
{
    public string Name => ThresholdRule.Kind;
    public IReadOnlyList<string> Options { get; } = [RuleOptionNames.Threshold, RuleOptionNames.WindowSec, RuleOptionNames.MaxKeys];
    public bool Weighted => true;
    public IRule Create(RuleSpec spec, DetectionDefinition detection, RuleContext context) => new ThresholdRule(spec);
}
