namespace BlueTeam.Core.Config;

// Sources stage options (collectors.<name>).

public enum StartPosition { Beginning, End }

public sealed class CollectorOptions : IValidatable
{
    public bool Enabled { get; set; } = true;
    /// <summary>
    /// The log format of the lines, by the name of a registered format (auth, audit, access, json, journald, ...).
    /// The formats are registered in the parsing stage, which refuses a name it does not know when the config is
    /// loaded; here it is only a name, so that Core knows no format.
    /// </summary>
    /// <remarks>Format names are lower case; read case-insensitively, as the enum this name replaced was (<c>type: Auth</c> is auth).</remarks>
    public string Type { get => _type; set => _type = (value ?? "").ToLowerInvariant(); }
    private string _type = DefaultType;

    /// <summary>The format of a collector that names none (as before formats were named).</summary>
    public const string DefaultType = "auth";

    /// <summary>
    /// How lines are read, by the name of a registered source transport (file, journald, stdin, ...); unset: the
    /// transport the format implies (journald for journal entries), else file.
    /// </summary>
    public string? Transport { get; set; }
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

    /// <summary>For json collectors: ECS field name → the application's JSON field name (e.g. user.name: username); the json format checks the names.</summary>
    public Dictionary<string, string> Fields { get; set; } = [];

    public IEnumerable<ConfigProblem> Validate()
    {
        if (Transport is not null && (Transport.Length is 0 or > 32 || !Transport.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_')))
            yield return new("transport", "must be a transport name such as file, journald or stdin");
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
