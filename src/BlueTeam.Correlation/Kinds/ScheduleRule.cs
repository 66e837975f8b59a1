namespace BlueTeam.Correlation.Kinds;

/// <summary>
/// Kind <c>schedule</c>: a matching event outside the expected <c>hours</c> on the expected
/// <c>days</c>, read in <c>time_zone</c> (a login at 03:00 on a Sunday; a log truncated outside
/// the rotation window). Event time, so a replayed log is judged by when things happened.
/// </summary>
/// <remarks>Events outside the schedule are grouped like a threshold rule (default threshold 1): one incident per key and window.</remarks>
public sealed class ScheduleRule(RuleSpec spec, WeeklySchedule schedule) : BurstRule(spec)
{
    public const string Kind = "schedule";

    private protected override bool Counts(SecurityEvent securityEvent) => !schedule.Contains(securityEvent.Timestamp);
}

/// <summary>The <c>schedule</c> kind: its hours, days and time zone are checked here, in the file's defaults and after overrides.</summary>
public sealed class ScheduleRuleKind : IRuleKind
{
    public string Name => ScheduleRule.Kind;
    public IReadOnlyList<string> Options { get; } =
        [RuleOptionNames.Hours, RuleOptionNames.Days, RuleOptionNames.TimeZone, RuleOptionNames.Threshold, RuleOptionNames.WindowSec, RuleOptionNames.MaxKeys];
    public bool Weighted => true;

    public void Check(RuleSettings settings, List<(string Option, string Message)> problems) =>
        WeeklySchedule.TryCreate(settings.Hours, settings.Days, settings.TimeZone, problems);

    public IRule Create(RuleSpec spec, DetectionDefinition detection, RuleContext context)
    {
        var s = spec.Settings;
        return new ScheduleRule(spec, WeeklySchedule.TryCreate(s.Hours, s.Days, s.TimeZone, []) ?? throw new InvalidOperationException("the schedule is checked before rules are built"));
    }
}
