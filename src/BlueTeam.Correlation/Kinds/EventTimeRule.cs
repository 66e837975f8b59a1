namespace BlueTeam.Correlation.Kinds;

/// <summary>
/// What the kinds that judge events in event time share: the spec's descriptor and filter, the actions the rule can
/// match, and the eager <see cref="Evaluate(SecurityEvent)"/>, rendered from the deferred one each kind writes.
/// </summary>
public abstract class EventTimeRule : IRule
{
    private readonly IncidentUpdates _eager;

    private protected EventTimeRule(RuleSpec spec) : this(spec, spec.Filter.RequiredValues("event.action")) { }

    /// <param name="actions">The <c>event.action</c> values the rule can match (<see cref="IRule.Actions"/>), when not its filter's.</param>
    private protected EventTimeRule(RuleSpec spec, IReadOnlySet<string>? actions)
    {
        Spec = spec;
        Actions = actions;
        _eager = new IncidentUpdates(Evaluate);
    }

    private protected RuleSpec Spec { get; }

    public IReadOnlySet<string>? Actions { get; }

    public RuleDescriptor Descriptor => Spec.Descriptor;

    public virtual bool Matches(SecurityEvent securityEvent) => Spec.Filter.Matches(securityEvent);

    public IReadOnlyList<SecurityIncident> Evaluate(SecurityEvent securityEvent) => _eager.Render(securityEvent);

    public abstract void Evaluate(SecurityEvent securityEvent, List<IncidentUpdate> updates);
}
