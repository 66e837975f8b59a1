using BlueTeam.Alerting;
using BlueTeam.Core.Events;

namespace BlueTeam.Tests.Support;

/// <summary>Builds incidents and alert records for alerting tests.</summary>
public static class AlertIncidents
{
    public static readonly DateTimeOffset Start = new(2026, 3, 10, 8, 30, 0, TimeSpan.Zero);

    public static SecurityIncident Incident(
        Severity severity = Severity.Critical,
        string title = "SSH brute force from 203.0.113.7",
        string? user = "root",
        string? ip = "203.0.113.7",
        string? fingerprint = null,
        string description = "12 failed logins in 60 s") => new()
    {
        Rule = new IncidentRule { Id = "BT-R001", Name = "ssh_brute_force" },
        Title = title,
        Severity = severity,
        Description = description,
        DetectedBy = "ssh_brute_force",
        NistControls = ["3.14.6", "3.14.7"],
        CuiInvolved = false,
        Source = ip is null ? null : new EcsSource { Ip = ip },
        User = user is null ? null : new EcsUser { Name = user },
        Host = new EcsHost { Hostname = "eqmon-web01" },
        FirstSeen = Start,
        LastSeen = Start.AddSeconds(59),
        EventCount = 12,
        Fingerprint = fingerprint ?? SecurityIncident.ComputeFingerprint("BT-R001", Start, ip, user, title, severity.ToName()),
    };

    public static AlertRecord Record(SecurityIncident incident, long id = 42) => new()
    {
        Id = id,
        Fingerprint = incident.Fingerprint,
        Host = "eqmon-web01",
        Incident = incident,
        CreatedAt = Start.AddMinutes(1),
        UpdatedAt = Start.AddMinutes(1),
    };
}
