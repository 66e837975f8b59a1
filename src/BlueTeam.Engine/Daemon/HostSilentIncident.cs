namespace BlueTeam.Engine.Daemon;

/// <summary>
/// host_silent (NIST 3.3.4): a host of the fleet whose daemon stopped reporting. It is the
/// daemons' own liveness, not a log-derived detection, so it is raised by the heartbeat worker
/// rather than by a correlation rule.
/// </summary>
internal static class HostSilentIncident
{
    public const string RuleId = "BT-FLEET-001";
    public const string RuleName = "host_silent";

    public static SecurityIncident Create(string silentHost, DateTimeOffset lastBeat, DateTimeOffset now, string raisedBy, int afterSec) => new()
    {
        Rule = new IncidentRule { Id = RuleId, Name = RuleName },
        Title = $"Host {silentHost} stopped reporting",
        Severity = Severity.High,
        DetectedBy = RuleName,
        NistControls = ["3.3.4"],
        Description = $"The blueteam daemon on {silentHost} has written no heartbeat since {lastBeat:u} "
            + $"(more than {afterSec} s; noticed by {raisedBy}). Its logs are not being watched: check the host and the daemon.",
        Host = new EcsHost { Hostname = silentHost },
        FirstSeen = lastBeat,
        LastSeen = now,
        // One incident per silence episode: the same last heartbeat gives the same fingerprint.
        Fingerprint = SecurityIncident.ComputeFingerprint(RuleId, lastBeat, silentHost),
    };
}
