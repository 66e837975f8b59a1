using System.Globalization;
using System.Net;
using BlueTeam.Core.Events;
using BlueTeam.Correlation.Kinds;

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
    private string? _user;
    private bool _usersDiffer;
    private string? _sourceIp;
    private bool _sourcesDiffer;

    /// <param name="first">The event that opened the window; null for an absence, which no event opens.</param>
    public IncidentAccumulator(RuleSpec spec, string[] keys, DateTimeOffset windowStart, SecurityEvent? first)
    {
        _spec = spec;
        _keys = keys;
        FirstSeen = LastSeen = windowStart;
        Fingerprint = spec.Fingerprint(windowStart, keys);
        _host = first?.Host?.Hostname is { Length: > 0 } h ? h : spec.Host;
        _user = first?.User?.Name;
        _sourceIp = first?.Source?.Ip;
        Trigger = first;
    }

    public string Fingerprint { get; }
    public DateTimeOffset FirstSeen { get; private set; }
    public DateTimeOffset LastSeen { get; private set; }
    /// <summary>Occurrences counted: events, each weighted by the rule's weight fields (see <see cref="RuleSpec.WeightOf"/>).</summary>
    public int Count { get; private set; }
    /// <summary>The latest event that opened or updated the incident.</summary>
    public SecurityEvent? Trigger { get; private set; }
    /// <summary>The account the incident is about when the kind knows better than "all events share it" (sequence: the account that got in).</summary>
    public string? UserOverride { get; set; }

    /// <summary>Extends the incident to <paramref name="t"/> without an event (an absence that goes on).</summary>
    public void ExtendTo(DateTimeOffset t)
    {
        if (t > LastSeen) LastSeen = t;
    }

    /// <param name="weight">How many occurrences the event stands for (a "message repeated N times" line is N).</param>
    public void Add(SecurityEvent e, bool asEvidence = true, int weight = 1)
    {
        Count = (int)Math.Min((long)Count + weight, int.MaxValue);
        if (e.Timestamp < FirstSeen) FirstSeen = e.Timestamp;
        if (e.Timestamp > LastSeen) LastSeen = e.Timestamp;
        if (asEvidence && _evidence.Count < SecurityIncident.MaxEvidence) _evidence.Add(e);
        // An event without a user name cannot be said to share the user.
        if (e.User?.Name != _user) _usersDiffer = true;
        if (e.Source?.Ip != _sourceIp) _sourcesDiffer = true;
        Trigger = e;
    }

    public SecurityIncident ToIncident(IReadOnlyDictionary<string, string>? stats = null)
    {
        string? Lookup(string name)
        {
            for (var i = 0; i < _spec.GroupBy.Count; i++)
                if (_spec.GroupBy[i].Name == name) return _keys[i];
            if (stats is not null && stats.TryGetValue(name, out var s)) return s;
            switch (name)
            {
                case "count": return Count.ToString(CultureInfo.InvariantCulture);
                case "span_sec": return ((long)(LastSeen - FirstSeen).TotalSeconds).ToString(CultureInfo.InvariantCulture);
                case "first_seen": return IncidentText.Time(FirstSeen);
                case "last_seen": return IncidentText.Time(LastSeen);
                case "key": return string.Join(", ", _keys);
                case "detection": return _spec.Detection ?? "";
            }
            if (IncidentText.Option(_spec.Settings, name) is { } option) return option;
            return Fields.EventField.TryResolve(name, out var field, out _) && Trigger is not null ? field.ReadText(Trigger) : null;
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
            Source = IncidentSource(),
            User = IncidentUser(),
            Host = _host is null ? null : new EcsHost { Hostname = _host },
            FirstSeen = FirstSeen,
            LastSeen = LastSeen,
            EventCount = Count,
            Fingerprint = Fingerprint,
            Evidence = [.. _evidence],
        };
    }

    private const string DefaultSummary =
        "{count} matching events for {key} between {first_seen} and {last_seen} (rule {threshold} within {window_sec} s).";

    private EcsSource? IncidentSource()
    {
        for (var i = 0; i < _spec.GroupBy.Count; i++)
        {
            switch (_spec.GroupBy[i].Name)
            {
                case "source.ip": return new EcsSource { Ip = _keys[i] };
                case "source.domain": return new EcsSource { Domain = _keys[i] };
                case "source.address":
                    return IPAddress.TryParse(_keys[i], out _) ? new EcsSource { Ip = _keys[i] } : new EcsSource { Domain = _keys[i] };
            }
        }
        return !_sourcesDiffer && _sourceIp is not null ? new EcsSource { Ip = _sourceIp } : null;
    }

    private EcsUser? IncidentUser()
    {
        if (UserOverride is not null) return new EcsUser { Name = UserOverride };
        string? name = null, target = null;
        for (var i = 0; i < _spec.GroupBy.Count; i++)
        {
            if (_spec.GroupBy[i].Name == "user.name") name = _keys[i];
            else if (_spec.GroupBy[i].Name == "user.target.name") target = _keys[i];
        }
        name ??= !_usersDiffer ? _user : null;
        // Account rules key on the account changed (user.target.name); user.name stays who acted, when all events agree.
        if (name is null && target is null) return null;
        return new EcsUser { Name = name, Target = target is null ? null : new EcsUser { Name = target } };
    }
}
