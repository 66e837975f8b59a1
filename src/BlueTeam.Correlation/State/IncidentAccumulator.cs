using System.Net;

namespace BlueTeam.Correlation.State;

/// <summary>
/// One open incident of a rule: the (rule, key, window) it stands for, its counts and a bounded
/// evidence sample. Every kind builds its incidents through this, so all incidents are shaped alike.
/// </summary>
public sealed class IncidentAccumulator
{
    private readonly RuleSpec _spec;
    private readonly string[] _keys;
    private readonly List<SecurityEvent> _evidence = [];
    private readonly string? _host;
    private readonly string? _user;
    private readonly string? _sourceIp;
    // Everything that changes after the incident opens, in one value: an IncidentUpdate copies it,
    // so the incident can be rendered later exactly as it stood at that update.
    private Snapshot _now;

    /// <summary>The accumulator's changing state at one moment; <see cref="Render"/> turns it into an incident.</summary>
    internal struct Snapshot
    {
        public DateTimeOffset FirstSeen;
        public DateTimeOffset LastSeen;
        public int Count;
        public int EvidenceCount;
        public bool UsersDiffer;
        public bool SourcesDiffer;
        public SecurityEvent? Trigger;
        public string? UserOverride;
    }

    /// <param name="first">The event that opened the window; null for an absence, which no event opens.</param>
    public IncidentAccumulator(RuleSpec spec, string[] keys, DateTimeOffset windowStart, SecurityEvent? first)
    {
        _spec = spec;
        _keys = keys;
        _now.FirstSeen = _now.LastSeen = windowStart;
        Fingerprint = spec.Fingerprint(windowStart, keys);
        _host = first?.Host?.Hostname is { Length: > 0 } h ? h : spec.Host;
        _user = first?.User?.Name;
        _sourceIp = first?.Source?.Ip;
        _now.Trigger = first;
    }

    public string Fingerprint { get; }
    public DateTimeOffset FirstSeen => _now.FirstSeen;
    public DateTimeOffset LastSeen => _now.LastSeen;
    /// <summary>Occurrences counted: events, each weighted by the rule's weight fields (see <see cref="RuleSpec.WeightOf"/>).</summary>
    public int Count => _now.Count;
    /// <summary>The latest event that opened or updated the incident.</summary>
    public SecurityEvent? Trigger => _now.Trigger;
    /// <summary>The account the incident is about when the kind knows better than "all events share it" (sequence: the account that got in).</summary>
    public string? UserOverride
    {
        get => _now.UserOverride;
        set => _now.UserOverride = value;
    }

    /// <summary>Extends the incident to <paramref name="t"/> without an event (an absence that goes on).</summary>
    public void ExtendTo(DateTimeOffset t)
    {
        if (t > _now.LastSeen) _now.LastSeen = t;
    }

    /// <param name="weight">How many occurrences the event stands for (a "message repeated N times" line is N).</param>
    public void Add(SecurityEvent e, bool asEvidence = true, int weight = 1)
    {
        _now.Count = (int)Math.Min((long)_now.Count + weight, int.MaxValue);
        if (e.Timestamp < _now.FirstSeen) _now.FirstSeen = e.Timestamp;
        if (e.Timestamp > _now.LastSeen) _now.LastSeen = e.Timestamp;
        if (asEvidence && _evidence.Count < SecurityIncident.MaxEvidence)
        {
            _evidence.Add(e);
            _now.EvidenceCount = _evidence.Count;
        }
        // An event without a user name cannot be said to share the user.
        if (e.User?.Name != _user) _now.UsersDiffer = true;
        if (e.Source?.Ip != _sourceIp) _now.SourcesDiffer = true;
        _now.Trigger = e;
    }

    /// <summary>The incident as it stands now.</summary>
    public SecurityIncident ToIncident(IReadOnlyDictionary<string, string>? stats = null) => Render(_now, stats, distinctCount: -1);

    /// <summary>
    /// The incident as it stands now, not yet rendered: the caller materializes it only if it needs it
    /// (scan keeps the last update of each incident; rendering one per event was most of the correlator's cost).
    /// </summary>
    /// <param name="stats">Extra template values, as for <see cref="ToIncident"/>; kept by reference, so it must not change afterwards.</param>
    /// <param name="distinctCount">The <c>distinct_count</c> template value, or negative for none (saves a dictionary per event).</param>
    public IncidentUpdate Update(IReadOnlyDictionary<string, string>? stats = null, int distinctCount = -1) => new(this, _now, stats, distinctCount);

    internal SecurityIncident Render(in Snapshot now, IReadOnlyDictionary<string, string>? stats, int distinctCount)
    {
        var at = now;
        string? Lookup(string name)
        {
            for (var i = 0; i < _spec.GroupBy.Count; i++)
                if (_spec.GroupBy[i].Name == name) return _keys[i];
            if (stats is not null && stats.TryGetValue(name, out var s)) return s;
            if (distinctCount >= 0 && name == "distinct_count") return distinctCount.ToString(CultureInfo.InvariantCulture);
            switch (name)
            {
                case "count": return at.Count.ToString(CultureInfo.InvariantCulture);
                case "span_sec": return ((long)(at.LastSeen - at.FirstSeen).TotalSeconds).ToString(CultureInfo.InvariantCulture);
                case "first_seen": return IncidentText.Time(at.FirstSeen);
                case "last_seen": return IncidentText.Time(at.LastSeen);
                case "key": return string.Join(", ", _keys);
                case "detection": return _spec.Detection ?? "";
            }
            if (IncidentText.Option(_spec.Settings, name) is { } option) return option;
            return Fields.EventField.TryResolve(name, out var field, out _) && at.Trigger is not null ? field.ReadText(at.Trigger) : null;
        }

        var summary = _spec.Summary ?? DefaultSummary;
        return new SecurityIncident
        {
            Rule = new IncidentRule { Id = _spec.Id, Name = _spec.Name },
            Title = IncidentText.Render(_spec.Title, Lookup),
            Severity = _spec.Settings.Severity,
            Description = IncidentText.Render(summary, Lookup),
            DetectedBy = _spec.Name,
            NistControls = _spec.Descriptor.NistControls,
            Source = IncidentSource(now.SourcesDiffer),
            User = IncidentUser(now.UsersDiffer, now.UserOverride),
            Host = _host is null ? null : new EcsHost { Hostname = _host },
            FirstSeen = now.FirstSeen,
            LastSeen = now.LastSeen,
            EventCount = now.Count,
            Fingerprint = Fingerprint,
            Evidence = _evidence.GetRange(0, now.EvidenceCount),
        };
    }

    private const string DefaultSummary =
        "{count} matching events for {key} between {first_seen} and {last_seen} (rule {threshold} within {window_sec} s).";

    private EcsSource? IncidentSource(bool sourcesDiffer)
    {
        for (var i = 0; i < _spec.GroupBy.Count; i++)
        {
            switch (_spec.GroupBy[i].Name)
            {
                case "source.ip": return new EcsSource { Ip = _keys[i] };
                case "source.domain": return new EcsSource { Domain = _keys[i] };
                case "source.address":
                    return IPAddress.TryParse(_keys[i], out _) ? new EcsSource { Ip = _keys[i] } : new EcsSource { Domain = _keys[i] };
                case var network when network.StartsWith("source.network", StringComparison.Ordinal):
                    // A /64 of several addresses names no single source; one address, or IPv4, is that address.
                    if (_keys[i].Contains('/')) return !sourcesDiffer && _sourceIp is not null ? new EcsSource { Ip = _sourceIp } : null;
                    return IPAddress.TryParse(_keys[i], out _) ? new EcsSource { Ip = _keys[i] } : new EcsSource { Domain = _keys[i] };
            }
        }
        return !sourcesDiffer && _sourceIp is not null ? new EcsSource { Ip = _sourceIp } : null;
    }

    private EcsUser? IncidentUser(bool usersDiffer, string? userOverride)
    {
        if (userOverride is not null) return new EcsUser { Name = userOverride };
        string? name = null, target = null;
        for (var i = 0; i < _spec.GroupBy.Count; i++)
        {
            if (_spec.GroupBy[i].Name == "user.name") name = _keys[i];
            else if (_spec.GroupBy[i].Name == "user.target.name") target = _keys[i];
        }
        name ??= !usersDiffer ? _user : null;
        // Account rules key on the account changed (user.target.name); user.name stays who acted, when all events agree.
        if (name is null && target is null) return null;
        return new EcsUser { Name = name, Target = target is null ? null : new EcsUser { Name = target } };
    }
}

/// <summary>
/// An incident that a rule opened or updated with one event, as it stood then, rendered into a
/// <see cref="SecurityIncident"/> only when <see cref="ToIncident"/> is called.
/// </summary>
/// <remarks>
/// Title and description go through the template engine and the evidence is copied on rendering, so a
/// consumer that keeps only the latest state of each incident (scan) renders each incident once instead of
/// once per event. Later events of the same incident do not change an update already taken.
/// </remarks>
public readonly struct IncidentUpdate
{
    private readonly SecurityIncident? _incident;
    private readonly IncidentAccumulator? _accumulator;
    private readonly IncidentAccumulator.Snapshot _at;
    private readonly IReadOnlyDictionary<string, string>? _stats;
    private readonly int _distinctCount;

    internal IncidentUpdate(IncidentAccumulator accumulator, IncidentAccumulator.Snapshot at, IReadOnlyDictionary<string, string>? stats, int distinctCount)
    {
        _accumulator = accumulator;
        _at = at;
        _stats = stats;
        _distinctCount = distinctCount;
    }

    /// <summary>An update that is already an incident (rules that do not defer rendering).</summary>
    public IncidentUpdate(SecurityIncident incident)
    {
        _incident = incident;
        _distinctCount = -1;
    }

    /// <summary>Same fingerprint = same incident.</summary>
    public string Fingerprint => _incident?.Fingerprint ?? _accumulator!.Fingerprint;

    public SecurityIncident ToIncident() => _incident ?? _accumulator!.Render(_at, _stats, _distinctCount);
}
