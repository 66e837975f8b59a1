namespace BlueTeam.Correlation.Fleet;

/// <summary>
/// fleet_ssh_spray: one source (an address, or an IPv6 /64) failing SSH logins on at least min_hosts
/// hosts within window_sec. Catches the attacker who stays below every host's own threshold by
/// spreading a few attempts over many hosts.
/// </summary>
public sealed class FleetSshSprayRule(FleetSprayOptions options, TimeSpan bucket)
    : FleetSprayRule(RuleId, RuleName, "source.ip", static s => s.Source, static (w, k) => w.BySource(k), options, bucket)
{
    public const string RuleId = "BT-FLEET-002";
    public const string RuleName = "fleet_ssh_spray";
}
