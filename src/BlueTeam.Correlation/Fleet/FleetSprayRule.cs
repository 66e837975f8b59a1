namespace BlueTeam.Correlation.Fleet;

/// <summary>
/// The shape both fleet rules share: group the window's signals by one field, and report the groups seen on at
/// least min_hosts hosts (and from at least min_sources sources) within window_sec of the group's newest signal.
/// A rule is its id, name, key field and how a signal's key is read.
/// </summary>
public abstract class FleetSprayRule : IFleetRule
{
    private readonly FleetSprayOptions _options;
    private readonly TimeSpan _bucket;

    private protected FleetSprayRule(FleetSprayOptions options, TimeSpan bucket)
    {
        _options = options;
        _bucket = bucket;
    }

    public abstract string Id { get; }

    public abstract string Name { get; }

    public abstract string KeyField { get; }

    public TimeSpan Window => _options.Window;

    public abstract IReadOnlyList<FleetSignal> Group(FleetWindow window, string key);

    public IEnumerable<FleetFinding> Evaluate(FleetWindow window, IReadOnlyCollection<FleetSignal> added)
    {
        foreach (var key in added.Select(KeyOf).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            var finding = FleetFinding.Over(Id, Name, KeyField, key, Group(window, key), Window, _bucket);
            if (finding is not null && finding.Hosts.Count >= _options.MinHosts && finding.Sources.Count >= _options.MinSources) yield return finding;
        }
    }

    /// <summary>The signal's group, or null when it has none (a signal without a user name has no account).</summary>
    private protected abstract string? KeyOf(FleetSignal signal);
}
