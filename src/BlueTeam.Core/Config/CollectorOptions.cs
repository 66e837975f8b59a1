namespace BlueTeam.Core.Config;

// Sources stage options (collectors.<name>).

public enum CollectorType { Auth, Audit, Access, Journald, Json }

public enum StartPosition { Beginning, End }

public sealed class CollectorOptions : IValidatable
{
    public bool Enabled { get; set; } = true;
    public CollectorType Type { get; set; } = CollectorType.Auth;
    public List<string> Paths { get; set; } = [];
    /// <summary>Where to start reading a file never seen before. Beginning: nothing that happened while blueteam was down is lost.</summary>
    public StartPosition StartAt { get; set; } = StartPosition.Beginning;
    /// <summary>IANA zone of timestamps that carry none (RFC 3164); the machine's zone when unset.</summary>
    public string? TimeZone { get; set; }
    /// <summary>For journald collectors: read this journal directory instead of the system journal (journalctl --directory).</summary>
    public string? JournalDirectory { get; set; }
    /// <summary>
    /// For journald collectors: journalctl matches (FIELD=value; the same field repeated is OR, different
    /// fields AND, "+" starts an alternative). Default: the auth and authpriv facilities, and the kernel.
    /// </summary>
    public List<string> Matches { get; set; } = [];
    /// <summary>For json collectors: ECS field name → the application's JSON field name (e.g. user.name: username).</summary>
    public Dictionary<string, string> Fields { get; set; } = [];

    public IEnumerable<ConfigProblem> Validate()
    {
        if (Type != CollectorType.Journald && Paths.Count == 0) yield return new("paths", "needs at least one path");
        if (Type == CollectorType.Journald && Paths.Count > 0) yield return new("paths", "a journald collector reads the journal, not files: use journal_directory for a journal in another place");
        if (JournalDirectory is not null && !System.IO.Path.IsPathRooted(JournalDirectory)) yield return new("journal_directory", "must be an absolute path");
        for (var i = 0; i < Matches.Count; i++)
            if (Matches[i] != "+" && (Matches[i].IndexOf('=', StringComparison.Ordinal) is < 1 || Matches[i].Any(char.IsWhiteSpace)))
                yield return new($"matches[{i}]", "must be FIELD=value (or + between alternatives)");
        for (var i = 0; i < Paths.Count; i++)
            if (string.IsNullOrWhiteSpace(Paths[i]) || !System.IO.Path.IsPathRooted(Paths[i]))
                yield return new($"paths[{i}]", "must be an absolute path");
        if (TimeZone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out _))
            yield return new("time_zone", $"'{Text.SafeText.Inert(TimeZone, 64)}' is not a time zone known to this machine (e.g. Europe/Berlin, UTC)");
    }
}
