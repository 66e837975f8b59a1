using BlueTeam.Core.Events;

namespace BlueTeam.Core.Config;

// The shape of blueteam.yaml. Property names map to snake_case keys (PollIntervalSec ->
// poll_interval_sec); every class here is bound strictly by ConfigBinder: an unknown key, a
// wrong type or an impossible value is an error naming the key and the line.

/// <summary>The whole configuration, with built-in defaults for every key.</summary>
public sealed class BlueTeamConfig : IValidatable
{
    /// <summary>The host name alerts carry; the machine's host name by default.</summary>
    public string Host { get; set; } = Environment.MachineName;
    public DatabaseOptions Database { get; set; } = new();
    public MonitoringOptions Monitoring { get; set; } = new();
    public Dictionary<string, CollectorOptions> Collectors { get; set; } = new()
    {
        ["auth_log"] = new CollectorOptions { Type = CollectorType.Auth, Paths = ["/var/log/auth.log", "/var/log/secure"] },
    };
    public CorrelationOptions Correlation { get; set; } = new();
    public AlertingOptions Alerting { get; set; } = new();

    /// <summary>Where this config came from (a file path or "built-in defaults"); not a key.</summary>
    [ConfigIgnore] public string Origin { get; set; } = "built-in defaults";

    public IEnumerable<ConfigProblem> Validate()
    {
        if (string.IsNullOrWhiteSpace(Host)) yield return new("host", "must not be empty");
        foreach (var (name, c) in Collectors)
        {
            if (!ConfigNames.IsIdentifier(name)) yield return new($"collectors.{name}", "collector names are lower-case letters, digits and underscores");
        }
    }
}

public enum DatabaseDriver { Sqlite, Postgres }

public sealed class DatabaseOptions : IValidatable
{
    public DatabaseDriver Driver { get; set; } = DatabaseDriver.Sqlite;
    /// <summary>SQLite file; defaults to /var/lib/blueteam/blueteam.db, or the user's state dir when not root.</summary>
    public string? Path { get; set; }
    /// <summary>PostgreSQL connection string (Npgsql syntax).</summary>
    public string? ConnectionString { get; set; }

    public IEnumerable<ConfigProblem> Validate()
    {
        if (Driver == DatabaseDriver.Postgres && string.IsNullOrWhiteSpace(ConnectionString))
            yield return new("connection_string", "is required when driver is postgres");
        if (Driver == DatabaseDriver.Sqlite && Path is { Length: 0 })
            yield return new("path", "must not be empty");
    }

    public string ResolveSqlitePath() => Path ?? DefaultPaths.Database();
}

public sealed class MonitoringOptions : IValidatable
{
    public int PollIntervalSec { get; set; } = 5;
    public TimeSpan PollInterval => TimeSpan.FromSeconds(PollIntervalSec);

    public IEnumerable<ConfigProblem> Validate()
    {
        if (PollIntervalSec is < 1 or > 3600) yield return new("poll_interval_sec", "must be between 1 and 3600 seconds");
    }
}

public enum CollectorType { Auth, Audit, Access, Journald, Json }

public enum StartPosition { Beginning, End }

public sealed class CollectorOptions : IValidatable
{
    public bool Enabled { get; set; } = true;
    public CollectorType Type { get; set; } = CollectorType.Auth;
    public List<string> Paths { get; set; } = [];
    /// <summary>Where to start reading a file never seen before. Beginning: nothing that happened while blueteam was down is lost.</summary>
    public StartPosition StartAt { get; set; } = StartPosition.Beginning;

    public IEnumerable<ConfigProblem> Validate()
    {
        if (Type != CollectorType.Journald && Paths.Count == 0) yield return new("paths", "needs at least one path");
        for (var i = 0; i < Paths.Count; i++)
            if (string.IsNullOrWhiteSpace(Paths[i]) || !System.IO.Path.IsPathRooted(Paths[i]))
                yield return new($"paths[{i}]", "must be an absolute path");
    }
}

public sealed class CorrelationOptions
{
    /// <summary>Per-rule overrides, keyed by rule name. Names and options are checked against the rule catalogue at start.</summary>
    public Dictionary<string, RuleOptions> Rules { get; set; } = [];
}

/// <summary>Options every rule understands; a rule rejects the ones that do not apply to it.</summary>
public sealed class RuleOptions : IValidatable
{
    public bool? Enabled { get; set; }
    public int? Threshold { get; set; }
    public int? WindowSec { get; set; }
    public Severity? Severity { get; set; }

    public IEnumerable<ConfigProblem> Validate()
    {
        if (Threshold is < 1) yield return new("threshold", "must be at least 1");
        if (WindowSec is < 1 or > 7 * 86400) yield return new("window_sec", "must be between 1 second and 7 days");
    }
}

public sealed class AlertingOptions
{
    public ConsoleChannelOptions Console { get; set; } = new();
    public SyslogChannelOptions Syslog { get; set; } = new();
    public EmailChannelOptions Email { get; set; } = new();
    /// <summary>Severity → channel names; the default is the routing table of the design brief.</summary>
    public Dictionary<Severity, List<string>>? Routing { get; set; }
}

public sealed class ConsoleChannelOptions
{
    public bool Enabled { get; set; } = true;
}

public sealed class SyslogChannelOptions : IValidatable
{
    public bool Enabled { get; set; } = true;
    /// <summary>The local syslog socket (a Unix datagram socket).</summary>
    public string Socket { get; set; } = "/dev/log";
    public string Ident { get; set; } = "blueteam";

    public IEnumerable<ConfigProblem> Validate()
    {
        if (string.IsNullOrWhiteSpace(Socket)) yield return new("socket", "must not be empty");
        if (string.IsNullOrWhiteSpace(Ident) || Ident.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '[' or ']' or ':'))
            yield return new("ident", "must be one word without brackets or colons");
    }
}

public enum SmtpTls { Auto, None, Starttls, Implicit }

public sealed class EmailChannelOptions : IValidatable
{
    public bool Enabled { get; set; }
    public string SmtpHost { get; set; } = "localhost";
    public int SmtpPort { get; set; } = 587;
    public SmtpTls Tls { get; set; } = SmtpTls.Auto;
    public string? SmtpUsername { get; set; }
    [ConfigSecret] public string? SmtpPassword { get; set; }
    /// <summary>A file holding the password (first line), for secrets kept out of the config.</summary>
    public string? SmtpPasswordFile { get; set; }
    public string FromAddress { get; set; } = "blueteam@eqmon.local";
    public List<string> Recipients { get; set; } = [];
    public int TimeoutSec { get; set; } = 30;

    public IEnumerable<ConfigProblem> Validate()
    {
        if (SmtpPort is < 1 or > 65535) yield return new("smtp_port", "must be a TCP port (1-65535)");
        if (TimeoutSec is < 1 or > 600) yield return new("timeout_sec", "must be between 1 and 600");
        if (!Enabled) yield break;
        if (string.IsNullOrWhiteSpace(SmtpHost)) yield return new("smtp_host", "is required when email is enabled");
        if (!MailAddressSyntax.IsValid(FromAddress)) yield return new("from_address", "must be an e-mail address");
        if (Recipients.Count == 0) yield return new("recipients", "needs at least one address when email is enabled");
        for (var i = 0; i < Recipients.Count; i++)
            if (!MailAddressSyntax.IsValid(Recipients[i])) yield return new($"recipients[{i}]", "must be an e-mail address");
        if (SmtpPassword is not null && SmtpPasswordFile is not null)
            yield return new("smtp_password_file", "give either smtp_password or smtp_password_file, not both");
    }
}

internal static class MailAddressSyntax
{
    public static bool IsValid(string? address) =>
        !string.IsNullOrWhiteSpace(address)
        && !address.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c is ',' or ';' or '<' or '>')
        && address.IndexOf('@', StringComparison.Ordinal) is > 0 and var at && at < address.Length - 1;
}

internal static class ConfigNames
{
    public static bool IsIdentifier(string name) =>
        name.Length > 0 && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-');
}

public static class DefaultPaths
{
    public const string SystemConfig = "/etc/blueteam/blueteam.yaml";

    /// <summary>/var/lib/blueteam when running as root (the packaged service), else the user's state directory.</summary>
    public static string Database()
    {
        if (Environment.UserName == "root" || Directory.Exists("/var/lib/blueteam") && HasWriteAccess("/var/lib/blueteam"))
            return "/var/lib/blueteam/blueteam.db";
        var state = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        if (string.IsNullOrEmpty(state)) state = System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        return System.IO.Path.Combine(state, "blueteam", "blueteam.db");
    }

    private static bool HasWriteAccess(string dir)
    {
        try
        {
            var probe = System.IO.Path.Combine(dir, $".probe-{Environment.ProcessId}");
            using (File.Create(probe, 1, FileOptions.DeleteOnClose)) { }
            return true;
        }
        catch (UnauthorizedAccessException) { return false; }
        catch (IOException) { return false; }
    }
}
