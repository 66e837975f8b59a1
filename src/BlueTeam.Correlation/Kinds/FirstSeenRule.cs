namespace BlueTeam.Correlation.Kinds;

/// <summary>
/// Kind <c>first_seen</c>: a value of the <c>value</c> field never seen before for the group key
/// (a user logging in from a source address it never used), with the history kept in an
/// <see cref="IFirstSeenStore"/>.
/// </summary>
/// <remarks>
/// A key seen for the very first time is learned silently unless the rule says
/// <c>alert_on_new_key: true</c>: otherwise the first day of monitoring would report every user.
/// One incident per (key, value): its window starts at the first sighting, so a replay gives the
/// same fingerprint, and repeats within <c>window_sec</c> update it.
/// </remarks>
public sealed class FirstSeenRule : EventTimeRule, IStatefulRule
{
    public const string Kind = "first_seen";

    private readonly EventField _value;
    private readonly IFirstSeenStore _store;
    private readonly bool _alertOnNewKey;
    // Incidents still open (for updates within the window), bounded like any other per-key state.
    private readonly KeyedStateTable<OpenIncident> _open;
    private DateTimeOffset _watermark = DateTimeOffset.MinValue;

    public FirstSeenRule(RuleSpec spec, EventField value, IFirstSeenStore store, bool alertOnNewKey)
        : base(spec)
    {
        _value = value;
        _store = store;
        _alertOnNewKey = alertOnNewKey;
        _open = new KeyedStateTable<OpenIncident>(spec.Settings.MaxKeys);
    }

    public int TrackedKeys => _open.Count;
    public long EvictedKeys => _open.Evicted;

    public override void Evaluate(SecurityEvent securityEvent, List<IncidentUpdate> updates)
    {
        if (!Spec.Filter.Matches(securityEvent) || !Spec.TryKey(securityEvent, out var key)) return;
        var value = _value.ReadText(securityEvent);
        if (string.IsNullOrEmpty(value)) return;

        var window = Spec.Settings.Window;
        var time = securityEvent.Timestamp;
        if (time > _watermark) _watermark = time;
        _open.ExpireBefore(_watermark - window);

        var pairKey = key + '\u001f' + value;
        if (_open.TryGet(pairKey, out var open) && time <= open.Incident.LastSeen + window && time >= open.Incident.FirstSeen)
        {
            _open.Touch(pairKey, _ => open);
            open.Incident.Add(securityEvent);
            updates.Add(open.Incident.Update());
            return;
        }

        var result = _store.Observe(Spec.Name, key, value, time);
        if (result == FirstSeenResult.Known || (result == FirstSeenResult.NewKey && !_alertOnNewKey)) return;

        var incident = new IncidentAccumulator(Spec, [.. Spec.KeyValues(securityEvent, key), value], time, securityEvent);
        incident.Add(securityEvent);
        _open.Touch(pairKey, k => new OpenIncident(k, incident));
        updates.Add(incident.Update(new Dictionary<string, string>(StringComparer.Ordinal) { [_value.Name] = value }));
    }

    private sealed class OpenIncident(string key, IncidentAccumulator incident) : KeyedState(key)
    {
        public IncidentAccumulator Incident { get; } = incident;
        public override DateTimeOffset LastActivity => Incident.LastSeen;
    }
}

/// <summary>The <c>first_seen</c> kind: its <c>value</c> field, and whether a key seen for the first time is reported.</summary>
public sealed class FirstSeenRuleKind : IRuleKind
{
    public string Name => FirstSeenRule.Kind;
    public IReadOnlyList<string> Options { get; } = [RuleOptionNames.WindowSec, RuleOptionNames.MaxKeys];

    public IReadOnlyList<KindKey> Keys { get; } =
    [
        new("value", "only first_seen rules have a value field"),
        new("alert_on_new_key", "only first_seen rules read alert_on_new_key"),
    ];

    public object? Read(DetectionReader detection)
    {
        var value = detection.Field("value");
        var alertOnNewKey = detection.Bool("alert_on_new_key") ?? false;
        return value is null ? null : new FirstSeenDetection(value, alertOnNewKey);
    }

    public IRule Create(RuleSpec spec, DetectionDefinition detection, RuleContext context)
    {
        var p = detection.ParametersAs<FirstSeenDetection>();
        return new FirstSeenRule(spec, p.Value, context.FirstSeen, p.AlertOnNewKey);
    }
}

/// <summary>What a first_seen detection reads: the field whose new values are reported, and <c>alert_on_new_key</c>.</summary>
public sealed record FirstSeenDetection(EventField Value, bool AlertOnNewKey);
