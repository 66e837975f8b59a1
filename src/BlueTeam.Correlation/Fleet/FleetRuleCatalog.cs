namespace BlueTeam.Correlation.Fleet;

/// <summary>The fleet rules the config enables: one line per rule.</summary>
public static class FleetRuleCatalog
{
    public static IReadOnlyList<IFleetRule> Build(FleetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var rules = new List<IFleetRule>();
        if (options.Rules.FleetSshSpray.Enabled) rules.Add(new FleetSshSprayRule(options.Rules.FleetSshSpray, options.Bucket));
        if (options.Rules.FleetAccountSpray.Enabled) rules.Add(new FleetAccountSprayRule(options.Rules.FleetAccountSpray, options.Bucket));
        return rules;
    }

    /// <summary>How long the correlator keeps signals: the longest window of <paramref name="rules"/> (a bucket when none).</summary>
    public static TimeSpan Retention(IReadOnlyList<IFleetRule> rules, FleetOptions options) =>
        rules.Count == 0 ? options.Bucket : rules.Max(r => r.Window) + options.Bucket;
}
