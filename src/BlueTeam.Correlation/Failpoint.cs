namespace BlueTeam.Correlation;

/// <summary>
/// A fault injected on purpose, in the way of etcd's failpoints: with <c>BLUETEAM_FAILPOINT_RULE_THROWS</c> set to
/// a user name, one more rule runs that throws on every event of that user. It is how the end-to-end tests show,
/// through the real daemon, that a rule with a bug loses only its own view of one event: the other rules still
/// see it, the line's position advances and the failure is a counted <c>rule_error</c> in <c>status</c>.
/// </summary>
/// <remarks>
/// Off unless the variable is set in the daemon's environment, which only root (or whoever starts it) controls;
/// when on, the daemon says so at start. No event content can turn it on.
/// </remarks>
public static class Failpoint
{
    public const string RuleThrowsVariable = "BLUETEAM_FAILPOINT_RULE_THROWS";

    /// <summary>The failpoint's rule, or null when the variable is unset (always, outside tests).</summary>
    public static IRule? RuleFromEnvironment() =>
        Environment.GetEnvironmentVariable(RuleThrowsVariable) is { Length: > 0 } user ? new ThrowingRule(user) : null;

    private sealed class ThrowingRule(string user) : IRule
    {
        public RuleDescriptor Descriptor { get; } = new()
        {
            Id = "BT-FAILPOINT", Name = "failpoint_rule_throws", Title = "failpoint: a rule that throws", Severity = Severity.Low, NistControls = [],
            Description = $"set by {RuleThrowsVariable}: throws on every event of one user, to test containment",
        };

        public IReadOnlyList<SecurityIncident> Evaluate(SecurityEvent securityEvent) =>
            string.Equals(securityEvent.User?.Name, user, StringComparison.Ordinal)
                ? throw new InvalidOperationException("failpoint: this rule throws on this user's events")
                : [];
    }
}
