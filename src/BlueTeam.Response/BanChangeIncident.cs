namespace BlueTeam.Response;

/// <summary>
/// ban_changed: a person added or lifted a ban with the CLI. Raised as an info incident so that it is
/// stored in the alert history and sealed in its tamper-evident chain like every other record there
/// (the rule's own bans name their incident, which is already chained).
/// </summary>
public static class BanChangeIncident
{
    public const string RuleId = "BT-RESP-002";
    public const string RuleName = "ban_changed";

    public static SecurityIncident Create(string host, string target, string change, string by, string reason, DateTimeOffset now) => new()
    {
        Rule = new IncidentRule { Id = RuleId, Name = RuleName },
        Title = $"Ban of {target} {change} by {by}",
        Severity = Severity.Info,
        DetectedBy = RuleName,
        NistControls = ["3.3.1", "3.14.6"],
        Description = $"{by} {change} the ban of {target}: {reason}",
        Source = IPAddress.TryParse(target, out _) ? new EcsSource { Ip = target } : null,
        User = new EcsUser { Name = by },
        Host = new EcsHost { Hostname = host },
        FirstSeen = now,
        LastSeen = now,
        // One incident per change: the same target changed again later is another record.
        Fingerprint = SecurityIncident.ComputeFingerprint(RuleId, now, host, target, change, by),
    };
}
