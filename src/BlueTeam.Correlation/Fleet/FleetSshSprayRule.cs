using BlueTeam.Core.Config;

namespace BlueTeam.Correlation.Fleet;

/// <summary>
/// fleet_ssh_spray: one source (an address, or an IPv6 /64) failing SSH logins on at least min_hosts
/// hosts within window_sec. Catches the attacker who stays below every host's own threshold by
/// spreading a few attempts over many hosts.
/// </summary>
public sealed class FleetSshSprayRule : IFleetRule
{
    public const string RuleId = "BT-FLEET-002";
    public const string RuleName = "fleet_ssh_spray";

    private readonly FleetSprayOptions _options;
    private readonly TimeSpan _bucket;

    public FleetSshSprayRule(FleetSprayOptions options, TimeSpan bucket)
    {
        _options = options;
        _bucket = bucket;
    }

    public string Id => RuleId;

    public string Name => RuleName;

    public TimeSpan Window => _options.Window;

    public string KeyField => "source.ip";

    public IReadOnlyList<FleetSignal> Group(FleetWindow window, string key) => window.BySource(key);

    public int MinHosts => _options.MinHosts;

    public IEnumerable<FleetFinding> Evaluate(FleetWindow window, IReadOnlyCollection<FleetSignal> added)
    {
        foreach (var source in added.Select(s => s.Source).Distinct(StringComparer.Ordinal))
        {
            var finding = FleetFinding.Over(RuleId, RuleName, KeyField, source, window.BySource(source), Window, _bucket);
            if (finding is not null && finding.Hosts.Count >= _options.MinHosts) yield return finding;
        }
    }
}
