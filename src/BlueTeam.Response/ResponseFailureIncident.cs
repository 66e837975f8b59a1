namespace BlueTeam.Response;

/// <summary>
/// response_failure: a ban blueteam decided could not be applied (no nft, no permission, a refused
/// batch) or was refused by the max_bans cap. Like collector_failure, it is the daemon's own
/// health: the attack goes on unblocked while detection continues, and someone must look.
/// </summary>
public static class ResponseFailureIncident
{
    public const string RuleId = "BT-RESP-001";
    public const string RuleName = "response_failure";

    /// <summary>One incident per host and hour, updated while the failure repeats, so a broken nft is one alert, not one per ban.</summary>
    public static SecurityIncident Create(string host, string problem, int bansNotApplied, DateTimeOffset now, Severity severity = Severity.Critical)
    {
        var hour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);
        return new SecurityIncident
        {
            Rule = new IncidentRule { Id = RuleId, Name = RuleName },
            Title = $"Active response failing on {host}",
            Severity = severity,
            DetectedBy = RuleName,
            NistControls = ["3.14.6"],
            Description = $"{bansNotApplied} ban(s) decided but not applied: {problem}. Detection goes on; the sources are not blocked.",
            Host = new EcsHost { Hostname = host },
            FirstSeen = now,
            LastSeen = now,
            EventCount = bansNotApplied,
            Fingerprint = SecurityIncident.ComputeFingerprint(RuleId, hour, host),
        };
    }
}
