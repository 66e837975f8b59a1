using BlueTeam.Core.Events;

namespace BlueTeam.Tests.Storage;

/// <summary>Incidents and times the store contract tests share. Whole seconds: PostgreSQL keeps microseconds, SQLite ticks.</summary>
internal static class StoreTestData
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 10, 8, 30, 0, TimeSpan.Zero);

    public static SecurityIncident Incident(
        string fingerprint,
        Severity severity = Severity.High,
        string ruleName = "ssh_brute_force",
        string host = "eqmon-web01",
        DateTimeOffset? firstSeen = null,
        DateTimeOffset? lastSeen = null,
        int eventCount = 5,
        string title = "SSH brute force from 203.0.113.7",
        string description = "5 failed logins for root in 60s",
        string? sourceIp = "203.0.113.7",
        string? userName = "root")
    {
        var first = firstSeen ?? T0;
        return new SecurityIncident
        {
            Rule = new IncidentRule { Id = "BT-" + ruleName.ToUpperInvariant(), Name = ruleName },
            Title = title,
            Severity = severity,
            Description = description,
            DetectedBy = ruleName,
            NistControls = ["3.1.8", "3.3.1"],
            CuiInvolved = true,
            Source = sourceIp is null ? null : new EcsSource { Ip = sourceIp },
            User = userName is null ? null : new EcsUser { Name = userName },
            Host = new EcsHost { Hostname = host },
            FirstSeen = first,
            LastSeen = lastSeen ?? first.AddSeconds(30),
            EventCount = eventCount,
            Fingerprint = fingerprint,
            Evidence =
            [
                new SecurityEvent
                {
                    Timestamp = first,
                    Event = new EcsEvent { Category = [EcsValues.Authentication], Type = [EcsValues.Start], Action = "ssh_login", Outcome = EcsValues.Failure },
                    Source = sourceIp is null ? null : new EcsSource { Ip = sourceIp, Port = 41000 },
                    User = userName is null ? null : new EcsUser { Name = userName },
                    Host = new EcsHost { Hostname = host },
                    Process = new EcsProcess { Name = "sshd", Pid = 3021 },
                    Message = $"Failed password for {userName} from {sourceIp} port 41000 ssh2",
                },
            ],
        };
    }
}
