namespace BlueTeam.Correlation.Kinds;

/// <summary>
/// A rule with several detections (web_scanner: a known scanner's user agent, or many distinct
/// 4xx paths): each detection is a rule of its own kind under the same name, and the rule fires
/// when any of them does. Detections are told apart in fingerprints, so their incidents never merge.
/// </summary>
public sealed class AnyOfRule : IRule, ITickingRule, IStatefulRule
{
    private readonly IRule[] _detections;

    public AnyOfRule(RuleDescriptor descriptor, IEnumerable<IRule> detections)
    {
        Descriptor = descriptor;
        _detections = [.. detections];
        Actions = _detections.Select(d => d.Actions).Aggregate(Fields.EventFilter.Union);
    }

    /// <summary>The union of the detections' action sets (null when any detection takes every action).</summary>
    public IReadOnlySet<string>? Actions { get; }

    public RuleDescriptor Descriptor { get; }
    public IReadOnlyList<IRule> Detections => _detections;
    public int TrackedKeys => _detections.OfType<IStatefulRule>().Sum(d => d.TrackedKeys);
    public long EvictedKeys => _detections.OfType<IStatefulRule>().Sum(d => d.EvictedKeys);
    public DateTimeOffset? OldestOpenEventTime => _detections.OfType<IStatefulRule>().Select(d => d.OldestOpenEventTime).Min();

    public bool Matches(SecurityEvent securityEvent) => _detections.Any(d => d.Matches(securityEvent));

    public IReadOnlyList<SecurityIncident> Evaluate(SecurityEvent securityEvent)
    {
        List<SecurityIncident>? found = null;
        foreach (var d in _detections)
        {
            var incidents = d.Evaluate(securityEvent);
            if (incidents.Count > 0) (found ??= []).AddRange(incidents);
        }
        return found ?? (IReadOnlyList<SecurityIncident>)[];
    }

    public void Evaluate(SecurityEvent securityEvent, List<IncidentUpdate> updates)
    {
        foreach (var d in _detections) d.Evaluate(securityEvent, updates);
    }

    public IReadOnlyList<SecurityIncident> Tick(DateTimeOffset now) =>
        [.. _detections.OfType<ITickingRule>().SelectMany(d => d.Tick(now))];
}
