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
    public StorageOptions Storage { get; set; } = new();
    public MonitoringOptions Monitoring { get; set; } = new();
    public Dictionary<string, CollectorOptions> Collectors { get; set; } = new()
    {
        ["auth_log"] = new CollectorOptions { Paths = ["/var/log/auth.log", "/var/log/secure"] },
    };
    public CorrelationOptions Correlation { get; set; } = new();
    public AlertingOptions Alerting { get; set; } = new();
    public ResponseOptions Response { get; set; } = new();
    public FleetOptions Fleet { get; set; } = new();

    /// <summary>Where this config came from (a file path or "built-in defaults"); not a key.</summary>
    [ConfigIgnore] public string Origin { get; set; } = "built-in defaults";

    /// <summary>Where each key was written, for errors found after loading; not a key.</summary>
    [ConfigIgnore] public ConfigLocations Locations { get; set; } = ConfigLocations.None;

    public IEnumerable<ConfigProblem> Validate()
    {
        if (string.IsNullOrWhiteSpace(Host)) yield return new("host", "must not be empty");
        foreach (var (name, c) in Collectors)
        {
            if (!ConfigNames.IsIdentifier(name)) yield return new($"collectors.{name}", "collector names are lower-case letters, digits and underscores");
        }
        if (Database.Driver == DatabaseDriver.Sqlite && SealingOptions.IsInsideFolderOf(Storage.Sealing.ResolveStatePath(), Database.ResolveSqlitePath()))
            yield return new("storage.sealing.state_path", "must be outside the database's folder (whoever can replace the database there could replace the state with it)");
        if (Fleet.Enabled && Database.Driver != DatabaseDriver.Postgres)
            yield return new("fleet.enabled", "needs database.driver: postgres (the hosts of a fleet share their signals through one PostgreSQL)");
    }
}

public enum DatabaseDriver { Sqlite, Postgres }

public sealed class DatabaseOptions : IValidatable
{
    public DatabaseDriver Driver { get; set; } = DatabaseDriver.Sqlite;
    /// <summary>SQLite file; defaults to /var/lib/blueteam/blueteam.db, or the user's state dir when not root.</summary>
    public string? Path { get; set; }
    /// <summary>PostgreSQL connection string (Npgsql syntax).</summary>
    [ConfigSecretParts] public string? ConnectionString { get; set; }

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
    /// <summary>
    /// The daemon refuses to run as root unless this (or <c>monitor --allow-root</c>) says so: it
    /// parses attacker-written text, and needs no more than read access to the logs (group adm).
    /// </summary>
    public bool AllowRoot { get; set; }

    /// <summary>A fleet host whose heartbeat is older than this raises host_silent (raised once, by one daemon); 0 turns it off.</summary>
    public int HostSilentSec { get; set; } = 600;

    /// <summary>Optional Prometheus endpoint.</summary>
    public MetricsOptions Metrics { get; set; } = new();

    /// <summary>
    /// A source whose lines the parsers fail on this many times within a minute (and on at least a tenth
    /// of its lines) raises collector_failure: one bad line is skipped and counted, a stream of them is
    /// a source that cannot be read. 0 turns the incident off (the lines are still skipped and counted).
    /// </summary>
    public int ParseErrorAlertCount { get; set; } = 100;

    public IEnumerable<ConfigProblem> Validate()
    {
        if (PollIntervalSec is < 1 or > 3600) yield return new("poll_interval_sec", "must be between 1 and 3600 seconds");
        if (ParseErrorAlertCount < 0) yield return new("parse_error_alert_count", "must be 0 (off) or a number of failed lines per minute");
        if (HostSilentSec != 0 && HostSilentSec < 3 * PollIntervalSec)
            yield return new("host_silent_sec", "must be 0 (off) or at least three poll intervals, or every pause looks like a silent host");
    }
}

public sealed class MetricsOptions : IValidatable
{
    public bool Enabled { get; set; }
    /// <summary>Where the /metrics endpoint listens: a loopback address and port (a scraper on this host, or a tunnel).</summary>
    public string Listen { get; set; } = "127.0.0.1:9464";

    public IEnumerable<ConfigProblem> Validate()
    {
        if (!TryParseListen(Listen, out var address, out _)) yield return new("listen", "must be ADDRESS:PORT, e.g. 127.0.0.1:9464");
        else if (!System.Net.IPAddress.IsLoopback(address)) yield return new("listen", "must be a loopback address (127.0.0.1 or ::1): the metrics are not authenticated");
    }

    public static bool TryParseListen(string text, out System.Net.IPAddress address, out int port)
    {
        address = System.Net.IPAddress.None;
        port = 0;
        if (!System.Net.IPEndPoint.TryParse(text, out var endpoint) || endpoint.Port is < 1 or > 65535) return false;
        address = endpoint.Address;
        port = endpoint.Port;
        return true;
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

    /// <summary>Beside the database's default folder, never in it: /var/lib/blueteam-seal, or the user's state directory.</summary>
    public static string SealingState()
    {
        var database = Database();
        var parent = System.IO.Path.GetDirectoryName(System.IO.Path.GetDirectoryName(database))!;
        return System.IO.Path.Combine(parent, "blueteam-seal", "sealing.state");
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
