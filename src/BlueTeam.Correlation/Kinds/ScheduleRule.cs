namespace BlueTeam.Correlation.Kinds;

/// <summary>
/// Kind <c>schedule</c>: a matching event outside the expected <c>hours</c> on the expected
/// <c>days</c>, read in <c>time_zone</c> (a login at 03:00 on a Sunday; a log truncated outside
/// the rotation window). Event time, so a replayed log is judged by when things happened.
/// </summary>
/// <remarks>Events outside the schedule are grouped like a threshold rule (default threshold 1): one incident per key and window.</remarks>
public sealed class ScheduleRule : IRule, IStatefulRule
{
    public const string Kind = "schedule";

    private readonly RuleSpec _spec;
    private readonly WeeklySchedule _schedule;
    private readonly BurstCounter _counter;

    public ScheduleRule(RuleSpec spec, WeeklySchedule schedule)
    {
        _spec = spec;
        _schedule = schedule;
        _counter = new BurstCounter(spec);
        _eager = new IncidentUpdates(Evaluate);
        Actions = spec.Filter.RequiredValues("event.action");
    }

    private readonly IncidentUpdates _eager;
    public IReadOnlySet<string>? Actions { get; }

    public RuleDescriptor Descriptor => _spec.Descriptor;
    public int TrackedKeys => _counter.TrackedKeys;
    public long EvictedKeys => _counter.EvictedKeys;
    public DateTimeOffset? OldestOpenEventTime => _counter.OldestOpenEventTime;

    public bool Matches(SecurityEvent securityEvent) => _spec.Filter.Matches(securityEvent);

    public IReadOnlyList<SecurityIncident> Evaluate(SecurityEvent securityEvent) => _eager.Render(securityEvent);

    public void Evaluate(SecurityEvent securityEvent, List<IncidentUpdate> updates)
    {
        if (!_spec.Filter.Matches(securityEvent) || _schedule.Contains(securityEvent.Timestamp)) return;
        if (!_spec.TryKey(securityEvent, out var key)) return;
        _counter.Add(securityEvent, key, updates);
    }
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
