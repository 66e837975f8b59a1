namespace BlueTeam.Correlation;

/// <summary>
/// A stateful detection evaluated in event time. For each event it returns the incidents that the
/// event opened or updated (same fingerprint = same incident, updated), usually none.
/// </summary>
public interface IRule
{
    RuleDescriptor Descriptor { get; }
    IReadOnlyList<SecurityIncident> Evaluate(SecurityEvent securityEvent);

    /// <summary>Whether the rule looks at <paramref name="securityEvent"/> at all (its filter), for <c>rules test</c>; no state changes.</summary>
    bool Matches(SecurityEvent securityEvent) => true;

    /// <summary>
    /// <see cref="Evaluate(SecurityEvent)"/> without rendering: appends to <paramref name="updates"/> the incidents the
    /// event opened or updated, each as it stands after the event, rendered only if the caller asks.
    /// </summary>
    /// <remarks>Same state changes and the same incidents as <see cref="Evaluate(SecurityEvent)"/>; the built-in kinds implement it natively.</remarks>
    void Evaluate(SecurityEvent securityEvent, List<IncidentUpdate> updates)
    {
        foreach (var incident in Evaluate(securityEvent)) updates.Add(new IncidentUpdate(incident));
    }

    /// <summary>
    /// The <c>event.action</c> values this rule can match at all, or null when it may match any event. The correlator
    /// offers an event only to the rules whose set holds its action (or that have no set), so a rule that
    /// declares a set must ignore, with no state change, every event whose action is outside it.
    /// </summary>
    IReadOnlySet<string>? Actions => null;
}

/// <summary>A rule that also judges the passing of wall-clock time (absence); the daemon calls <see cref="Tick"/> on every poll.</summary>
public interface ITickingRule
{
    /// <summary>The incidents that <paramref name="now"/> (wall-clock) opened or updated.</summary>
    IReadOnlyList<SecurityIncident> Tick(DateTimeOffset now);
}

/// <summary>A rule's bounded per-key state, for health output and the flood test.</summary>
public interface IStatefulRule
{
    /// <summary>Keys with state now (never more than the rule's max_keys).</summary>
    int TrackedKeys { get; }
    /// <summary>Keys dropped because the table was full, not because their window closed.</summary>
    long EvictedKeys { get; }

    /// <summary>
    /// The earliest event time (event time, not wall clock) that the rule's live state still depends on: the first
    /// event of an open incident (its window start, which fixes the fingerprint), pending events that a coming event
    /// could still count with, a sequence's held first steps. Null when nothing is open.
    /// </summary>
    /// <remarks>
    /// After a crash the daemon re-reads its logs from <see cref="Correlator.OldestOpenEventTime"/> (the minimum over
    /// rules) so that windows are rebuilt and the incidents they continue keep their fingerprints. State whose window
    /// has passed (against the newest event the rule saw) is not live even if the table has not dropped it yet.
    /// Kinds whose state cannot be rebuilt by re-reading (absence: wall clock; first_seen: the persistent store
    /// already knows the pair) answer null. The default is null, for rules without event-time state.
    /// </remarks>
    DateTimeOffset? OldestOpenEventTime => null;
}

/// <summary>What a rule is, with its effective options (defaults overridden by the config).</summary>
public sealed record RuleDescriptor
{
    public required string Id { get; init; }
    /// <summary>The rule's name: part of the interface (config keys, CLI, stored rule_name).</summary>
    public required string Name { get; init; }
    public required string Title { get; init; }
    public required Severity Severity { get; init; }
    public required IReadOnlyList<string> NistControls { get; init; }
    public required string Description { get; init; }
    public bool Enabled { get; init; } = true;
    /// <summary>The rule's kind: a name in <see cref="Kinds.RuleKinds.All"/>, or any for several detections.</summary>
    public string Kind { get; init; } = "";
    /// <summary>Where the rule was defined: "built-in" or the rule file's path.</summary>
    public string Origin { get; init; } = "built-in";
    /// <summary>The rule's filter in words, for <c>rules list</c>.</summary>
    public string Filter { get; init; } = "";
    /// <summary>Effective option values, for `rules list`.</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();
}
