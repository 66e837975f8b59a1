namespace BlueTeam.Correlation.Kinds;

/// <summary>
/// Kind <c>threshold</c>: <c>threshold</c> or more matching events with the same group key within
/// <c>window_sec</c> of each other, in event time. With threshold 1 it is a single-event rule
/// (root_login, account_created) that still makes one incident per key and window, not one per event.
/// </summary>
public sealed class ThresholdRule(RuleSpec spec) : BurstRule(spec), IRuleProgress
{
    public const string Kind = "threshold";

    public RuleProgress? ProgressOf(SecurityEvent securityEvent) =>
        Spec.Filter.Matches(securityEvent) && Spec.TryKey(securityEvent, out var key) ? Counter.ProgressOf(securityEvent, key) : null;
}

/// <summary>The <c>threshold</c> kind: a count of events per key within a window.</summary>
public sealed class ThresholdRuleKind : IRuleKind
{
    public string Name => ThresholdRule.Kind;
    public IReadOnlyList<string> Options { get; } = [RuleOptionNames.Threshold, RuleOptionNames.WindowSec, RuleOptionNames.MaxKeys];
    public bool Weighted => true;
    public IRule Create(RuleSpec spec, DetectionDefinition detection, RuleContext context) => new ThresholdRule(spec);
}
