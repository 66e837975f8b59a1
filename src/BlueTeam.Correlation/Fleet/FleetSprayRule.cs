namespace BlueTeam.Correlation.Fleet;

/// <summary>
/// The shape both fleet rules share: group the window's signals by one field, and report the groups seen on at
/// least min_hosts hosts (and from at least min_sources sources) within window_sec of the group's newest signal.
/// A rule is its id, name, key field, how a signal's key is read and how the window groups by it.
/// </summary>
public abstract class FleetSprayRule : IFleetRule
{
    private readonly FleetSprayOptions _options;
    private readonly TimeSpan _bucket;
    private readonly Func<FleetSignal, string?> _keyOf;
    private readonly Func<FleetWindow, string, IReadOnlyList<FleetSignal>> _group;

    /// <param name="keyOf">The signal's group, or null when it has none (a signal without a user name has no account).</param>
    /// <param name="group">The window's signals of one group.</param>
    private protected FleetSprayRule(string id, string name, string keyField, Func<FleetSignal, string?> keyOf,
        Func<FleetWindow, string, IReadOnlyList<FleetSignal>> group, FleetSprayOptions options, TimeSpan bucket)
    {
        Id = id;
        Name = name;
        KeyField = keyField;
        _keyOf = keyOf;
        _group = group;
        _options = options;
        _bucket = bucket;
    }

    public string Id { get; }

    public string Name { get; }

    public string KeyField { get; }

    public TimeSpan Window => _options.Window;

    public IReadOnlyList<FleetSignal> Group(FleetWindow window, string key) => _group(window, key);

    public IEnumerable<FleetFinding> Evaluate(FleetWindow window, IReadOnlyCollection<FleetSignal> added)
    {
        foreach (var key in added.Select(_keyOf).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            var finding = FleetFinding.Over(Id, Name, KeyField, key, Group(window, key), Window, _bucket);
            if (finding is not null && finding.Hosts.Count >= _options.MinHosts && finding.Sources.Count >= _options.MinSources) yield return finding;
        }
    }
}
