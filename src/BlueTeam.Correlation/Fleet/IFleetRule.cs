namespace BlueTeam.Correlation.Fleet;

/// <summary>
/// A rule over the whole fleet's signals, run by the elected correlator. Pure: given the window and the
/// signals just added, it says which groups are over its thresholds now; the correlator decides whether
/// that is a new fleet incident or one already raised (<see cref="FleetEpisodes"/>).
/// </summary>
public interface IFleetRule
{
    string Id { get; }

    string Name { get; }

    /// <summary>How far back in event time the rule looks from a group's newest signal.</summary>
    TimeSpan Window { get; }

    /// <summary>The field the rule groups by: source.ip (an address or an IPv6 /64) or user.name.</summary>
    string KeyField { get; }

    /// <summary>The signals of one group in the window.</summary>
    IReadOnlyList<FleetSignal> Group(FleetWindow window, string key);

    /// <summary>The groups touched by <paramref name="added"/> that are over the thresholds within the window.</summary>
    IEnumerable<FleetFinding> Evaluate(FleetWindow window, IReadOnlyCollection<FleetSignal> added);
}

/// <summary>Failures of one host within a finding.</summary>
public readonly record struct FleetHostCount(string Host, long Failures);

/// <summary>
/// A group over a fleet rule's thresholds: the key it is grouped by (a source network or a user), the hosts
/// with their failure counts, the sources, and the span of buckets (<see cref="LastSeen"/> is the end of the
/// newest bucket).
/// </summary>
public sealed record FleetFinding(
    string RuleId,
    string RuleName,
    string KeyField,
    string Key,
    IReadOnlyList<FleetHostCount> Hosts,
    IReadOnlyList<string> Sources,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen)
{
    public long Failures => Hosts.Sum(h => h.Failures);

    /// <summary>
    /// The finding over the signals of one group newer than its newest bucket minus <paramref name="window"/>;
    /// null when none is.
    /// </summary>
    public static FleetFinding? Over(string ruleId, string ruleName, string keyField, string key, IReadOnlyList<FleetSignal> signals, TimeSpan window, TimeSpan bucket)
    {
        if (signals.Count == 0) return null;
        var newest = signals.Max(s => s.Bucket);
        var inWindow = signals.Where(s => s.Bucket > newest - window).ToList();
        var hosts = inWindow.GroupBy(s => s.Host, StringComparer.Ordinal)
            .Select(g => new FleetHostCount(g.Key, g.Sum(s => (long)s.Failures)))
            .OrderByDescending(h => h.Failures).ThenBy(h => h.Host, StringComparer.Ordinal).ToList();
        var sources = inWindow.Select(s => s.Source).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return new FleetFinding(ruleId, ruleName, keyField, key, hosts, sources, inWindow.Min(s => s.Bucket), newest + bucket);
    }
}
