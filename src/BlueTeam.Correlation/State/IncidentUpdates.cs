namespace BlueTeam.Correlation.State;

/// <summary>The eager <see cref="IRule.Evaluate(SecurityEvent)"/> of a kind (and the correlator's eager Process) built on the deferred one.</summary>
internal sealed class IncidentUpdates(Action<SecurityEvent, List<IncidentUpdate>> evaluate)
{
    // Reused for every event: a rule is evaluated on one thread, and the list never leaves this class.
    private readonly List<IncidentUpdate> _scratch = [];

    public IReadOnlyList<SecurityIncident> Render(SecurityEvent e)
    {
        _scratch.Clear();
        evaluate(e, _scratch);
        if (_scratch.Count == 0) return [];
        var incidents = new SecurityIncident[_scratch.Count];
        for (var i = 0; i < incidents.Length; i++) incidents[i] = _scratch[i].ToIncident();
        _scratch.Clear();
        return incidents;
    }
}
