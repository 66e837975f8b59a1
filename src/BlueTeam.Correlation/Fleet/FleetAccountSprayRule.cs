namespace BlueTeam.Correlation.Fleet;

/// <summary>
/// fleet_account_spray: one user name failing on at least min_hosts hosts from at least min_sources
/// sources within window_sec: a distributed attack on one account (a botnet trying "admin" everywhere).
/// </summary>
public sealed class FleetAccountSprayRule(FleetSprayOptions options, TimeSpan bucket)
    : FleetSprayRule(RuleId, RuleName, "user.name", static s => s.User, static (w, k) => w.ByUser(k), options, bucket)
{
    public const string RuleId = "BT-FLEET-003";
    public const string RuleName = "fleet_account_spray";
}
