namespace BlueTeam.Engine.Daemon;

/// <summary>
/// The incidents of a batch of processed lines, to be raised together (one store transaction) before the
/// checkpoints of those lines are committed, with each line's events beside them: the response stage must
/// see, line after line, the events (successful logins) and then the stored incidents, as it would if every
/// line were raised alone.
/// </summary>
internal sealed class RaiseBatch
{
    private readonly List<SecurityIncident> _incidents = [];
    private readonly List<SecurityEvent> _events = [];
    // Where each added line's events and incidents end in the two lists, in line order.
    private readonly List<(int Events, int Incidents)> _ends = [];

    /// <summary>The incidents waiting to be raised, in the order they were found.</summary>
    public IReadOnlyList<SecurityIncident> Incidents => _incidents;

    public bool IsEmpty => _ends.Count == 0;

    /// <summary>Adds what one line (or a tick, or a parser flush) gave: its events and its incidents, rendered now.</summary>
    public void Add(IReadOnlyList<SecurityEvent> events, IReadOnlyList<SecurityIncident> incidents)
    {
        if (events.Count == 0 && incidents.Count == 0) return;
        _events.AddRange(events);
        _incidents.AddRange(incidents);
        _ends.Add((_events.Count, _incidents.Count));
    }

    /// <summary>Each added line's events and incidents, in line order.</summary>
    public IEnumerable<(ArraySegment<SecurityEvent> Events, ArraySegment<SecurityIncident> Incidents)> Lines()
    {
        // Segments of one copy of each list: only the response stage walks the lines, and only when it is on.
        var events = _events.ToArray();
        var incidents = _incidents.ToArray();
        int eventStart = 0, incidentStart = 0;
        foreach (var (eventEnd, incidentEnd) in _ends.ToArray())
        {
            yield return (new ArraySegment<SecurityEvent>(events, eventStart, eventEnd - eventStart),
                new ArraySegment<SecurityIncident>(incidents, incidentStart, incidentEnd - incidentStart));
            (eventStart, incidentStart) = (eventEnd, incidentEnd);
        }
    }

    public void Clear()
    {
        _incidents.Clear();
        _events.Clear();
        _ends.Clear();
    }
}
