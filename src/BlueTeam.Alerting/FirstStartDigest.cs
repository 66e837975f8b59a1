using System.Text;

namespace BlueTeam.Alerting;

/// <summary>
/// The first start of the daemon (no checkpoints anywhere): the logs already hold months of attacks, read from
/// the beginning. Incidents that ended before the start (<see cref="SecurityIncident.LastSeen"/> before it) are
/// history: stored and shown like any other, but not sent one by one; each channel they would have gone to gets
/// one digest instead ("history before first start: 37 incidents, 3 critical …"). An incident that goes on after
/// the start is live, and the engine notifies it as usual.
/// </summary>
/// <remarks>
/// One instance for the daemon's life, shared by the engines a reload builds. The engine holds incidents back
/// and records them (<see cref="Record"/>); the pipeline asks for the digest when the backlog is read
/// (<see cref="Digest"/>: the queue was idle, or the oldest held incident waited <see cref="MaxHold"/>). Not
/// thread-safe: the pipeline's one thread raises and takes.
/// </remarks>
public sealed class FirstStartDigest
{
    public const string RuleId = "BT-SYS-001";
    public const string RuleName = "first_start_history";

    /// <summary>A busy log may never let the queue go idle: after this long the held incidents are digested anyway.</summary>
    public static readonly TimeSpan MaxHold = TimeSpan.FromSeconds(30);

    // Per fingerprint, its latest severity, rule and route: an incident updated ten times counts once, at its last severity.
    private readonly Dictionary<string, (Severity Severity, string Rule, IReadOnlyList<string> Route, DateTimeOffset FirstSeen, DateTimeOffset LastSeen)> _held = new(StringComparer.Ordinal);
    private DateTimeOffset? _heldSince;
    private int _digests;

    /// <param name="startedAt">The daemon's start: incidents last seen before it are history.</param>
    public FirstStartDigest(DateTimeOffset startedAt) => StartedAt = startedAt;

    public DateTimeOffset StartedAt { get; }

    /// <summary>Incidents held back so far (all digests).</summary>
    public long Held { get; private set; }

    /// <summary>
    /// True once the backlog was read (the queue went idle): from then on nothing is held, so lines written later
    /// with old timestamps (a relay catching up) alert one by one as on any other day.
    /// </summary>
    public bool IsClosed { get; private set; }

    /// <summary>Whether <paramref name="incident"/> is history (ended before the start, found while the backlog is read).</summary>
    public bool IsHistory(SecurityIncident incident) => !IsClosed && incident.LastSeen < StartedAt && incident.Rule.Id != RuleId;

    /// <summary>The backlog is read: hold nothing more.</summary>
    public void Close() => IsClosed = true;

    /// <summary>Notes a held-back incident and the channels it would have gone to.</summary>
    public void Record(SecurityIncident incident, IReadOnlyList<string> route, DateTimeOffset now)
    {
        if (!_held.ContainsKey(incident.Fingerprint)) Held++;
        _held[incident.Fingerprint] = (incident.Severity, incident.Rule.Name, route, incident.FirstSeen, incident.LastSeen);
        _heldSince ??= now;
    }

    /// <summary>Whether a digest should go now: something is held and the queue is idle, or it was held for <see cref="MaxHold"/>.</summary>
    public bool IsDue(DateTimeOffset now, bool idle) => _held.Count > 0 && (idle || now - _heldSince >= MaxHold);

    /// <summary>Empties the hold once its digest is stored (<see cref="Digest"/>); the next digest gets a fingerprint of its own.</summary>
    public void Sent()
    {
        _held.Clear();
        _heldSince = null;
        _digests++;
    }

    /// <summary>The digest of what is held and the channels it goes to (every channel a held incident would have gone to); null when nothing is held. The hold is kept until <see cref="Sent"/>.</summary>
    public (SecurityIncident Digest, IReadOnlyList<string> Channels)? Digest(string host)
    {
        if (_held.Count == 0) return null;
        var held = _held.Values.ToList();

        var bySeverity = held.GroupBy(h => h.Severity).OrderByDescending(g => g.Key).Select(g => $"{g.Count()} {g.Key.ToName()}");
        var title = $"history before first start: {held.Count} incident{(held.Count == 1 ? "" : "s")}, {string.Join(", ", bySeverity)}";
        var channels = held.SelectMany(h => h.Route).Distinct(StringComparer.Ordinal).OrderBy(c => c, StringComparer.Ordinal).ToList();
        var first = held.Min(h => h.FirstSeen);
        var last = held.Max(h => h.LastSeen);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"blueteam started for the first time on {host} at {StartedAt:u} and read the logs from their beginning. ");
        text.Append(CultureInfo.InvariantCulture, $"They held {held.Count} incident(s) that ended before the start ({first:u} to {last:u}); ");
        text.Append("each is stored (blueteam incidents list) but was not sent on its own. By rule: ");
        text.Append(string.Join(", ", held.GroupBy(h => h.Rule).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key} {g.Count()}")));
        text.Append(". Would have gone to: ");
        text.Append(string.Join(", ", channels.Select(c => $"{c} {held.Count(h => h.Route.Contains(c))}")));
        text.Append('.');
        var digest = new SecurityIncident
        {
            Rule = new IncidentRule { Id = RuleId, Name = RuleName },
            Title = title,
            Severity = held.Max(h => h.Severity),
            Description = text.ToString(),
            DetectedBy = RuleName,
            NistControls = ["3.3.1"],
            Host = new EcsHost { Hostname = host },
            FirstSeen = first,
            LastSeen = last,
            EventCount = held.Count,
            // One per digest of this start (a busy first start may send a second one).
            Fingerprint = SecurityIncident.ComputeFingerprint(RuleId, StartedAt, host, _digests.ToString(CultureInfo.InvariantCulture)),
        };
        return (digest, channels);
    }
}
