namespace BlueTeam.Correlation.Fleet;

/// <summary>
/// fleet_account_spray: one user name failing on at least min_hosts hosts from at least min_sources
/// sources within window_sec: a distributed attack on one account (a botnet trying "admin" everywhere).
/// </summary>
public sealed class FleetAccountSprayRule(FleetSprayOptions options, TimeSpan bucket) : FleetSprayRule(options, bucket)
{
    public const string RuleId = "BT-FLEET-003";
    public const string RuleName = "fleet_account_spray";

    public override string Id => RuleId;

    public override string Name => RuleName;

    public override string KeyField => "user.name";

    public override IReadOnlyList<FleetSignal> Group(FleetWindow window, string key) => window.ByUser(key);

    private protected override string? KeyOf(FleetSignal signal) => signal.User;
}
