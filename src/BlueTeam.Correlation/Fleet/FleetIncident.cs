namespace BlueTeam.Correlation.Fleet;

/// <summary>
/// The incident of a fleet episode, raised through the alert engine like any other: severity high, the
/// rule's name and id, the source or user it is grouped by (so routes and silences match on
/// rule=fleet_ssh_spray, source.ip=…, user.name=…), the hosts and their failures in the description and as
/// evidence. No host.hostname: it is stored under the correlating daemon's host.
/// </summary>
public static class FleetIncident
{
    /// <summary>Hosts named in the description; past it the description says how many more.</summary>
    public const int MaxHostsNamed = 50;

    public static SecurityIncident Create(FleetEpisode episode, FleetFinding finding, string raisedBy)
    {
        ArgumentNullException.ThrowIfNull(episode);
        ArgumentNullException.ThrowIfNull(finding);
        var hosts = episode.Hosts.OrderByDescending(h => h.Value).ThenBy(h => h.Key, StringComparer.Ordinal).ToList();
        var bySource = finding.KeyField == "source.ip";
        var named = string.Join(", ", hosts.Take(MaxHostsNamed).Select(h => string.Create(CultureInfo.InvariantCulture, $"{h.Key} ({h.Value})")));
        if (hosts.Count > MaxHostsNamed) named += string.Create(CultureInfo.InvariantCulture, $" and {hosts.Count - MaxHostsNamed} more");
        var title = bySource
            ? string.Create(CultureInfo.InvariantCulture, $"SSH spray from {finding.Key} across {hosts.Count} hosts")
            : string.Create(CultureInfo.InvariantCulture, $"Account {finding.Key} attacked on {hosts.Count} hosts from {finding.Sources.Count} sources");
        var description = string.Create(CultureInfo.InvariantCulture,
            $"{episode.Failures} failed SSH logins {(bySource ? "from " + finding.Key : "for user " + finding.Key)} on {hosts.Count} hosts between {episode.FirstSeen:u} and {episode.LastSeen:u} "
            + $"(fleet correlation by {raisedBy}). Hosts (failures): {named}.");
        return new SecurityIncident
        {
            Rule = new IncidentRule { Id = finding.RuleId, Name = finding.RuleName },
            Title = title,
            Severity = Severity.High,
            DetectedBy = finding.RuleName,
            NistControls = bySource ? ["3.14.6", "3.14.7"] : ["3.14.6", "3.1.8"],
            Description = description,
            Source = bySource ? new EcsSource { Ip = finding.Key } : finding.Sources.Count == 1 ? new EcsSource { Ip = finding.Sources[0] } : null,
            User = bySource ? null : new EcsUser { Name = finding.Key },
            FirstSeen = episode.FirstSeen,
            LastSeen = episode.LastSeen,
            EventCount = (int)Math.Min(int.MaxValue, episode.Failures),
            Fingerprint = episode.Fingerprint,
            Evidence = hosts.Take(SecurityIncident.MaxEvidence).Select(h => Evidence(h.Key, h.Value, finding, episode.LastSeen)).ToList(),
        };
    }

    /// <summary>One host's share, as an event: the host, its failure count (labels.failures), the group's source or user.</summary>
    private static SecurityEvent Evidence(string host, long failures, FleetFinding finding, DateTimeOffset at) => new()
    {
        Timestamp = at,
        Event = new EcsEvent { Kind = "event", Category = ["authentication"], Type = ["info"], Action = "fleet_signal", Outcome = "failure", Dataset = "blueteam.fleet" },
        Source = finding.KeyField == "source.ip" ? new EcsSource { Ip = finding.Key } : null,
        User = finding.KeyField == "user.name" ? new EcsUser { Name = finding.Key } : null,
        Host = new EcsHost { Hostname = host },
        Labels = new Dictionary<string, string>(StringComparer.Ordinal) { ["failures"] = failures.ToString(CultureInfo.InvariantCulture) },
    };
}
