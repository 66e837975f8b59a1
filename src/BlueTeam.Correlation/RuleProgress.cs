namespace BlueTeam.Correlation;

/// <summary>Where one key of a counting rule stands: <c>ssh_brute_force 3/5 in 300s for source.ip=203.0.113.7</c>.</summary>
/// <param name="Key">The group_by fields and their values, e.g. <c>source.ip=203.0.113.7</c>.</param>
/// <param name="Count">Events (or distinct values) counted in the current window.</param>
/// <param name="Threshold">How many make an incident.</param>
/// <param name="Window">Within how long of each other.</param>
/// <param name="Open">An incident for this key is open: further events update it.</param>
public sealed record RuleProgress(string Key, long Count, long Threshold, TimeSpan Window, bool Open);

/// <summary>
/// A rule that can say, without changing anything, how far an event's key is toward firing (for
/// <c>blueteam explain</c>). Kinds that count (threshold, schedule, distinct_count) implement it.
/// </summary>
public interface IRuleProgress
{
    /// <summary>The state of <paramref name="securityEvent"/>'s key now (call it after the event was evaluated); null when the event has no key or the key no state.</summary>
    RuleProgress? ProgressOf(SecurityEvent securityEvent);
}
