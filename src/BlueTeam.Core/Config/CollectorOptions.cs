namespace BlueTeam.Core.Config;

// Sources stage options (collectors.<name>).

public enum CollectorType { Auth, Audit, Access, Journald, Json }

public enum StartPosition { Beginning, End }

public sealed class CollectorOptions : IValidatable
{
    public bool Enabled { get; set; } = true;
    public CollectorType Type { get; set; } = CollectorType.Auth;
    /// <summary>
    /// How lines are read, by the name of a registered source transport (file, journald, stdin, ...);
    /// unset: journald for a journald collector, else file. <see cref="Type"/> still names the format.
    /// </summary>
    public string? Transport { get; set; }

    /// <summary>The transport this collector uses: <see cref="Transport"/>, or the one its <see cref="Type"/> implied before transports were named.</summary>
    public string TransportName => Transport ?? (Type == CollectorType.Journald ? "journald" : "file");
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
    /// <summary>
    /// The longest line read whole, in bytes (journald: characters of an entry's JSON). A longer line keeps its
    /// first <c>max_line_bytes</c>, is marked truncated and counted; the rest is dropped, so no line can exhaust memory.
    /// </summary>
    public int MaxLineBytes { get; set; } = DefaultMaxLineBytes;

    public const int DefaultMaxLineBytes = 64 * 1024;
    public const int MinMaxLineBytes = 256;
    public const int MaxMaxLineBytes = 16 * 1024 * 1024;

    /// <summary>For json collectors: ECS field name → the application's JSON field name (e.g. user.name: username).</summary>
    public Dictionary<string, string> Fields { get; set; } = [];

    public IEnumerable<ConfigProblem> Validate()
    {
        if (TransportName == "file" && Paths.Count == 0) yield return new("paths", "needs at least one path");
        if (Transport is not null && (Transport.Length is 0 or > 32 || !Transport.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_')))
            yield return new("transport", "must be a transport name such as file, journald or stdin");
        if (Type == CollectorType.Journald && Paths.Count > 0) yield return new("paths", "a journald collector reads the journal, not files: use journal_directory for a journal in another place");
        if (JournalDirectory is not null && !System.IO.Path.IsPathRooted(JournalDirectory)) yield return new("journal_directory", "must be an absolute path");
        for (var i = 0; i < Matches.Count; i++)
            if (Matches[i] != "+" && (Matches[i].IndexOf('=', StringComparison.Ordinal) is < 1 || Matches[i].Any(char.IsWhiteSpace)))
                yield return new($"matches[{i}]", "must be FIELD=value (or + between alternatives)");
        for (var i = 0; i < Paths.Count; i++)
            if (string.IsNullOrWhiteSpace(Paths[i]) || !System.IO.Path.IsPathRooted(Paths[i]))
                yield return new($"paths[{i}]", "must be an absolute path");
        if (MaxLineBytes is < MinMaxLineBytes or > MaxMaxLineBytes)
            yield return new("max_line_bytes", $"must be between {MinMaxLineBytes} and {MaxMaxLineBytes} (16 MiB); the default is {DefaultMaxLineBytes}");
        if (TimeZone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out _))
            yield return new("time_zone", $"'{Text.SafeText.Inert(TimeZone, 64)}' is not a time zone known to this machine (e.g. Europe/Berlin, UTC)");
    }
}
