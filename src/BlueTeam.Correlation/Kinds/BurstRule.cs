namespace BlueTeam.Correlation.Kinds;

/// <summary>
/// A rule whose incidents are bursts of matching events per key, counted by a <see cref="BurstCounter"/>: threshold,
/// and schedule, which counts only the events outside its hours.
/// </summary>
public abstract class BurstRule : EventTimeRule, IStatefulRule
{
    private protected BurstRule(RuleSpec spec)
        : base(spec)
    {
        Counter = new BurstCounter(spec);
    }

    private protected BurstCounter Counter { get; }

    public int TrackedKeys => Counter.TrackedKeys;
    public long EvictedKeys => Counter.EvictedKeys;
    public DateTimeOffset? OldestOpenEventTime => Counter.OldestOpenEventTime;

    public override void Evaluate(SecurityEvent securityEvent, List<IncidentUpdate> updates)
    {
        if (!Spec.Filter.Matches(securityEvent) || !Counts(securityEvent) || !Spec.TryKey(securityEvent, out var key)) return;
        Counter.Add(securityEvent, key, updates);
    }

    /// <summary>Whether a matching event is counted at all (every one, unless the kind says otherwise).</summary>
    private protected virtual bool Counts(SecurityEvent securityEvent) => true;
}
