using BlueTeam.Core.Config;

namespace BlueTeam.Correlation.Fleet;

/// <summary>
/// fleet_account_spray: one user name failing on at least min_hosts hosts from at least min_sources
/// sources within window_sec: a distributed attack on one account (a botnet trying "admin" everywhere).
/// </summary>
public sealed class FleetAccountSprayRule : IFleetRule
{
    public const string RuleId = "BT-FLEET-003";
    public const string RuleName = "fleet_account_spray";

    private readonly FleetSprayOptions _options;
    private readonly TimeSpan _bucket;

    public FleetAccountSprayRule(FleetSprayOptions options, TimeSpan bucket)
    {
        _options = options;
        _bucket = bucket;
    }

    public string Id => RuleId;

    public string Name => RuleName;

    public TimeSpan Window => _options.Window;

    public string KeyField => "user.name";

    public IReadOnlyList<FleetSignal> Group(FleetWindow window, string key) => window.ByUser(key);

    public IEnumerable<FleetFinding> Evaluate(FleetWindow window, IReadOnlyCollection<FleetSignal> added)
    {
        foreach (var user in added.Select(s => s.User).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            var finding = FleetFinding.Over(RuleId, RuleName, KeyField, user, window.ByUser(user), Window, _bucket);
            if (finding is not null && finding.Hosts.Count >= _options.MinHosts && finding.Sources.Count >= _options.MinSources) yield return finding;
        }
    }
}
