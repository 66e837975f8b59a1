namespace BlueTeam.Correlation.Kinds;

/// <summary>
/// Kind <c>absence</c>: no matching event from a source (the group key, e.g. labels.collector)
/// for longer than <c>silent_sec</c>, or its per-source override under <c>collectors</c>.
/// </summary>
/// <remarks>
/// <para>Unlike every other kind this one runs in wall-clock time, from the injected
/// <see cref="TimeProvider"/>: silence is about now, and a replayed log says nothing about
/// whether a collector is alive today. Evaluate notes when each source was last heard from; the
/// daemon calls <see cref="Tick"/> on every poll, and the first tick past the threshold reports
/// the silence. <c>scan</c> never ticks, so a replay raises no absence.</para>
/// <para>Sources named at construction (the configured collectors) are expected from the start:
/// one that never says anything is reported too. One incident per silence: its window starts
/// when the source was last heard from; later ticks extend it, and the next event from the source closes it.</para>
/// </remarks>
public sealed class AbsenceRule : IRule, ITickingRule, IStatefulRule
{
    public const string Kind = "absence";

    private readonly RuleSpec _spec;
    private readonly TimeProvider _time;
    private readonly KeyedStateTable<SourceState> _sources;
    // The state Evaluate touched last (only Evaluate touches the table, and nothing expires it).
    private SourceState? _last;

    public AbsenceRule(RuleSpec spec, TimeProvider time, IEnumerable<string> expectedSources)
    {
        if (spec.GroupBy.Count != 1) throw new ArgumentException("an absence rule groups by exactly one field", nameof(spec));
        _spec = spec;
        _time = time;
        _sources = new KeyedStateTable<SourceState>(spec.Settings.MaxKeys);
        var now = time.GetUtcNow();
        foreach (var s in expectedSources) _sources.Touch(s, k => new SourceState(k, now));
    }

    public IReadOnlySet<string>? Actions => _spec.Filter.RequiredValues("event.action");

    public RuleDescriptor Descriptor => _spec.Descriptor;
    public int TrackedKeys => _sources.Count;
    public long EvictedKeys => _sources.Evicted;

    public bool Matches(SecurityEvent securityEvent) => _spec.Filter.Matches(securityEvent);

    public IReadOnlyList<SecurityIncident> Evaluate(SecurityEvent securityEvent)
    {
        if (!_spec.Filter.Matches(securityEvent) || !_spec.TryKey(securityEvent, out var key)) return [];
        var now = _time.GetUtcNow();
        // Nearly every event comes from the collector of the event before: that state is already the most
        // recently touched, so the table (a lookup and two list relinks) has nothing to change.
        var state = _last is { } last && string.Equals(last.Key, key, StringComparison.Ordinal)
            ? last
            : _last = _sources.Touch(key, now, static (k, heard) => new SourceState(k, heard));
        state.LastHeard = now;
        state.Silence = null;
        return [];
    }

    /// <summary>The silences that crossed their threshold since the last tick (each reported once).</summary>
    public IReadOnlyList<SecurityIncident> Tick(DateTimeOffset now)
    {
        List<SecurityIncident>? found = null;
        foreach (var state in _sources.States)
        {
            var allowed = _spec.Settings.Collectors.TryGetValue(state.Key, out var own) ? own : _spec.Settings.Silent;
            if (now - state.LastHeard <= allowed) continue;
            if (state.Silence is { } open)
            {
                open.ExtendTo(now);
                continue;
            }
            var silence = new IncidentAccumulator(_spec, [state.Key], state.LastHeard, null);
            silence.ExtendTo(now);
            state.Silence = silence;
            (found ??= []).Add(silence.ToIncident(new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [RuleOptionNames.SilentSec] = ((long)allowed.TotalSeconds).ToString(CultureInfo.InvariantCulture),
            }));
        }
        return found ?? (IReadOnlyList<SecurityIncident>)[];
    }

    private sealed class SourceState(string key, DateTimeOffset heard) : KeyedState(key)
    {
        public DateTimeOffset LastHeard { get; set; } = heard;
        public IncidentAccumulator? Silence { get; set; }
        // Never expired by event time: a silent source is exactly the one to keep watching.
        public override DateTimeOffset LastActivity => DateTimeOffset.MaxValue;
    }
}

/// <summary>The <c>absence</c> kind: one source per key, silences judged in wall-clock time.</summary>
public sealed class AbsenceRuleKind : IRuleKind
{
    public string Name => AbsenceRule.Kind;
    public IReadOnlyList<string> Options { get; } = [RuleOptionNames.SilentSec, RuleOptionNames.Collectors, RuleOptionNames.MaxKeys];

    public object? Read(DetectionReader detection)
    {
        if (detection.GroupBy.Count != 1) detection.Error("group_by", "an absence rule groups by exactly one field (the source, e.g. labels.collector)");
        return null;
    }

    public IRule Create(RuleSpec spec, DetectionDefinition detection, RuleContext context) => new AbsenceRule(spec, context.Time, context.ExpectedSources);
}
