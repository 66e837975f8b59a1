using System.Collections.Concurrent;

namespace BlueTeam.Core.Config;

/// <summary>
/// A config section that also takes keys whose option types Core does not know: plug-ins registered
/// by another project (channels, by BlueTeam.Alerting's channel registry). The binder binds such a
/// key strictly onto the options object the section creates for it; validation and <c>config show</c>
/// walk them like any other options.
/// </summary>
public interface IPluginSection
{
    /// <summary>Every plug-in key this section accepts.</summary>
    IEnumerable<string> PluginKeys { get; }

    /// <summary>Creates (and keeps) the default options for <paramref name="key"/> to bind onto; null when no plug-in has that key.</summary>
    object? BindPlugin(string key);

    /// <summary>The options of <paramref name="key"/>: as configured, else its defaults; null when no plug-in has that key.</summary>
    object? PluginOptions(string key);
}

// Alerting stage options (alerting.*). Durations follow the config's existing convention: whole
// seconds in a *_sec key, exposed to code as a TimeSpan property (not a key).

public sealed class AlertingOptions : IValidatable, IPluginSection
{
    // Channel types whose options live with their implementation (BlueTeam.Alerting registers them at
    // start); the five channels below predate that and keep their typed properties and YAML shape.
    private static readonly ConcurrentDictionary<string, Func<object>> ChannelTypes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, object> _pluginChannels = new(StringComparer.Ordinal);

    /// <summary>Makes <c>alerting.&lt;key&gt;</c> a section bound onto the options <paramref name="defaults"/> creates.</summary>
    public static void RegisterChannelType(string key, Func<object> defaults)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(defaults);
        ChannelTypes[key] = defaults;
    }

    public IEnumerable<string> PluginKeys => ChannelTypes.Keys.Order(StringComparer.Ordinal);

    public object? BindPlugin(string key)
    {
        if (!ChannelTypes.TryGetValue(key, out var defaults)) return null;
        if (!_pluginChannels.TryGetValue(key, out var options)) _pluginChannels[key] = options = defaults();
        return options;
    }

    public object? PluginOptions(string key) =>
        _pluginChannels.TryGetValue(key, out var options) ? options : ChannelTypes.TryGetValue(key, out var defaults) ? defaults() : null;

    public ConsoleChannelOptions Console { get; set; } = new();
    public SyslogChannelOptions Syslog { get; set; } = new();
    public EmailChannelOptions Email { get; set; } = new();
    public WebhookChannelOptions Webhook { get; set; } = new();
    public FileChannelOptions File { get; set; } = new();
    /// <summary>Severity → channel names; the default is the routing table of the design brief.</summary>
    /// <remarks>Kept for existing configs; when <see cref="Routes"/> is given, it replaces this table.</remarks>
    public Dictionary<Severity, List<string>>? Routing { get; set; }
    /// <summary>Ordered routes, first match wins unless a route says <c>continue: true</c>.</summary>
    public List<RouteOptions>? Routes { get; set; }

    /// <summary>The same fingerprint is not sent to a channel again within this time unless it got worse. Default 4 h.</summary>
    public int RepeatIntervalSec { get; set; } = 4 * 3600;
    public TimeSpan RepeatInterval => TimeSpan.FromSeconds(RepeatIntervalSec);

    /// <summary>An update is sent again when its event count reached this factor times the count last sent. Default 2 (doubling).</summary>
    public int CountStepFactor { get; set; } = 2;

    /// <summary>
    /// Non-critical incidents of one rule queued for a channel within this time go out as one digest.
    /// 0 (the default) sends each incident on its own as soon as it is stored.
    /// </summary>
    public int GroupWaitSec { get; set; }
    public TimeSpan GroupWait => TimeSpan.FromSeconds(GroupWaitSec);

    /// <summary>Channel → most sends (single alerts and digests) per rolling hour; over it, non-critical alerts are held and go out as one summary when the budget allows.</summary>
    public Dictionary<string, int>? MaxPerHour { get; set; }

    /// <summary>
    /// At the daemon's first start (no checkpoints), incidents that ended before the start are stored but sent as
    /// one digest per channel instead of one alert each. Default true; false sends each one as it is found.
    /// </summary>
    public bool FirstStartDigest { get; set; } = true;

    /// <summary>Self-monitoring of delivery (NIST 3.3.4).</summary>
    public DeliveryFailureOptions DeliveryFailure { get; set; } = new();

    public IEnumerable<ConfigProblem> Validate()
    {
        if (RepeatIntervalSec is < 0 or > 7 * 24 * 3600) yield return new("repeat_interval_sec", "must be between 0 and 604800 seconds (7 days)");
        if (CountStepFactor is < 2 or > 1000) yield return new("count_step_factor", "must be between 2 and 1000");
        if (GroupWaitSec is < 0 or > 3600) yield return new("group_wait_sec", "must be between 0 and 3600 seconds");
        if (MaxPerHour is not null)
            foreach (var (channel, max) in MaxPerHour)
                if (max < 1) yield return new($"max_per_hour.{channel}", "must be at least 1 (leave the channel out for no budget)");
        if (Routes is null) yield break;
        for (var i = 0; i < Routes.Count; i++)
            foreach (var p in Routes[i].Validate())
                yield return new($"routes[{i}].{p.Key}", p.Message);
    }
}

/// <summary>One route: which incidents it matches and which channels they go to.</summary>
public sealed class RouteOptions
{
    /// <summary>A name shown by <c>blueteam routes test</c>; optional.</summary>
    public string? Name { get; set; }
    public RouteMatchOptions Match { get; set; } = new();
    public List<string> Channels { get; set; } = [];
    /// <summary>When true, matching goes on to the next routes and their channels are added.</summary>
    public bool Continue { get; set; }

    public IEnumerable<ConfigProblem> Validate()
    {
        if (Match.MinSeverity is not null && Match.Severities is { Count: > 0 })
            yield return new("match", "give either min_severity or severities, not both");
        if (Match.Labels is not null)
            foreach (var key in Match.Labels.Keys)
                if (!RouteLabels.Known.Contains(key))
                    yield return new($"match.labels.{key}", $"unknown label; expected one of: {string.Join(", ", RouteLabels.Known)}");
    }
}

/// <summary>Every condition given must hold; an empty match matches everything.</summary>
public sealed class RouteMatchOptions
{
    /// <summary>This severity or higher.</summary>
    public Severity? MinSeverity { get; set; }
    /// <summary>Exactly one of these severities.</summary>
    public List<Severity>? Severities { get; set; }
    /// <summary>Rule names (<c>rule.name</c>, e.g. ssh_brute_force); any of them.</summary>
    public List<string>? Rules { get; set; }
    /// <summary>Label → value; a value ending in <c>*</c> matches by prefix. Labels: see <see cref="RouteLabels"/>.</summary>
    public Dictionary<string, string>? Labels { get; set; }
}

/// <summary>The incident fields a route can match on.</summary>
public static class RouteLabels
{
    public const string Host = "host";
    public const string SourceIp = "source.ip";
    public const string UserName = "user.name";
    public const string NistControl = "nist_control";
    public static IReadOnlyList<string> Known { get; } = [Host, SourceIp, UserName, NistControl];
}

public sealed class DeliveryFailureOptions : IValidatable
{
    public bool Enabled { get; set; } = true;
    /// <summary>A channel failing (transiently) for longer than this raises an incident even before a delivery gives up. Default 15 min.</summary>
    public int ChannelDownAfterSec { get; set; } = 900;
    public TimeSpan ChannelDownAfter => TimeSpan.FromSeconds(ChannelDownAfterSec);
    /// <summary>One incident per channel per window: its fingerprint is stable within it. Default 1 h.</summary>
    public int WindowSec { get; set; } = 3600;
    public TimeSpan Window => TimeSpan.FromSeconds(WindowSec);
    /// <summary>Where the incident goes when its normal route leaves no working channel, in order of preference.</summary>
    public List<string> Fallback { get; set; } = ["email", "webhook", "syslog", "file", "console"];

    public IEnumerable<ConfigProblem> Validate()
    {
        if (ChannelDownAfterSec is < 1 or > 86400) yield return new("channel_down_after_sec", "must be between 1 and 86400 seconds");
        if (WindowSec is < 60 or > 86400) yield return new("window_sec", "must be between 60 and 86400 seconds");
    }
}

/// <summary>What every channel's options have: on or off, and the least severity sent to the channel.</summary>
public interface IChannelSwitch
{
    bool Enabled { get; }
    Severity MinSeverity { get; }
}

public sealed class ConsoleChannelOptions : IValidatable, IChannelSwitch
{
    public bool Enabled { get; set; } = true;
    /// <summary>Incidents below this severity never go to this channel, whatever the route says.</summary>
    public Severity MinSeverity { get; set; } = Severity.Info;
    public IEnumerable<ConfigProblem> Validate() { yield break; }
}

public enum SyslogTransport { Local, Udp, Tcp, Tls }
public enum SyslogFormat { Text, Json, Cef }

public sealed class SyslogChannelOptions : IValidatable, IChannelSwitch
{
    public bool Enabled { get; set; } = true;
    public Severity MinSeverity { get; set; } = Severity.Info;
    /// <summary>local: the Unix socket below (RFC 3164 like glibc); udp/tcp/tls: RFC 5424 to a remote collector.</summary>
    public SyslogTransport Transport { get; set; } = SyslogTransport.Local;
    /// <summary>The local syslog socket (a Unix datagram socket).</summary>
    public string Socket { get; set; } = "/dev/log";
    public string Ident { get; set; } = "blueteam";
    /// <summary>Remote collector (udp, tcp, tls).</summary>
    public string? Server { get; set; }
    /// <summary>Default 514 (udp, tcp) or 6514 (tls) when 0.</summary>
    public int Port { get; set; }
    /// <summary>Message format: text (key=value), json (the ECS incident), cef.</summary>
    public SyslogFormat Format { get; set; } = SyslogFormat.Text;
    /// <summary>PEM file of the CA that signed the collector's certificate (tls); the system store when unset.</summary>
    public string? CaFile { get; set; }
    /// <summary>The name the collector's certificate must carry (tls); <see cref="Server"/> by default.</summary>
    public string? ServerName { get; set; }
    /// <summary>Syslog facility name (local0..local7, auth, authpriv, daemon, user, security). Default local6.</summary>
    public string Facility { get; set; } = "local6";
    public int TimeoutSec { get; set; } = 10;
    /// <summary>
    /// Send the head of this host's audit chain (sequence number and hash) to this syslog
    /// destination at each heartbeat when it changed, and at least hourly, so that a history
    /// rewritten on the host no longer matches what the collector recorded. Independent of
    /// <see cref="Enabled"/> (which is about alerts). Default on (local syslog unless a remote
    /// transport is configured): the anchors are what `verify --anchors` checks the store against.
    /// </summary>
    public bool SendChainHead { get; set; } = true;

    public IEnumerable<ConfigProblem> Validate()
    {
        if (string.IsNullOrWhiteSpace(Socket)) yield return new("socket", "must not be empty");
        if (string.IsNullOrWhiteSpace(Ident) || Ident.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '[' or ']' or ':') || Ident.Length > 48)
            yield return new("ident", "must be one word (at most 48 characters) without brackets or colons");
        if (Transport != SyslogTransport.Local && string.IsNullOrWhiteSpace(Server)) yield return new("server", $"is required when transport is {Transport.ToString().ToLowerInvariant()}");
        if (Port is < 0 or > 65535) yield return new("port", "must be a port (1-65535), or 0 for the default");
        if (!SyslogFacilities.TryParse(Facility, out _)) yield return new("facility", $"unknown facility; expected one of: {string.Join(", ", SyslogFacilities.Names.Keys)}");
        if (TimeoutSec is < 1 or > 600) yield return new("timeout_sec", "must be between 1 and 600");
        if (Transport == SyslogTransport.Local && Format != SyslogFormat.Text) yield return new("format", "the local socket takes text only; use transport udp, tcp or tls for json or cef");
    }
}

public static class SyslogFacilities
{
    public static IReadOnlyDictionary<string, int> Names { get; } = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase)
    {
        ["user"] = 1, ["daemon"] = 3, ["auth"] = 4, ["authpriv"] = 10, ["security"] = 13,
        ["local0"] = 16, ["local1"] = 17, ["local2"] = 18, ["local3"] = 19,
        ["local4"] = 20, ["local5"] = 21, ["local6"] = 22, ["local7"] = 23,
    };

    public static bool TryParse(string? name, out int code)
    {
        code = 0;
        return name is not null && Names.TryGetValue(name.Trim(), out code);
    }
}

public enum SmtpTls { Auto, None, Starttls, Implicit }

public sealed class EmailChannelOptions : IValidatable, IChannelSwitch
{
    public bool Enabled { get; set; }
    public Severity MinSeverity { get; set; } = Severity.Info;
    public string SmtpHost { get; set; } = "localhost";
    public int SmtpPort { get; set; } = 587;
    public SmtpTls Tls { get; set; } = SmtpTls.Auto;
    /// <summary>
    /// PEM file of the CA that signed the SMTP server's certificate (a private CA); the system store
    /// when unset. The chain and the server name are always verified; there is no switch to stop that.
    /// </summary>
    public string? CaFile { get; set; }
    public string? SmtpUsername { get; set; }
    [ConfigSecret] public string? SmtpPassword { get; set; }
    /// <summary>A file holding the password (first line), for secrets kept out of the config.</summary>
    public string? SmtpPasswordFile { get; set; }
    public string FromAddress { get; set; } = "blueteam@eqmon.local";
    public List<string> Recipients { get; set; } = [];
    /// <summary>Severity → recipients; replaces <see cref="Recipients"/> for the severities it names.</summary>
    public Dictionary<Severity, List<string>>? RecipientsBySeverity { get; set; }
    /// <summary>Send an HTML part alongside the plain text. Default true.</summary>
    public bool Html { get; set; } = true;
    public int TimeoutSec { get; set; } = 30;

    public IEnumerable<ConfigProblem> Validate()
    {
        if (SmtpPort is < 1 or > 65535) yield return new("smtp_port", "must be a TCP port (1-65535)");
        if (TimeoutSec is < 1 or > 600) yield return new("timeout_sec", "must be between 1 and 600");
        if (!Enabled) yield break;
        if (string.IsNullOrWhiteSpace(SmtpHost)) yield return new("smtp_host", "is required when email is enabled");
        if (!MailAddressSyntax.IsValid(FromAddress)) yield return new("from_address", "must be an e-mail address");
        if (Recipients.Count == 0 && (RecipientsBySeverity is null || RecipientsBySeverity.Count == 0))
            yield return new("recipients", "needs at least one address when email is enabled");
        for (var i = 0; i < Recipients.Count; i++)
            if (!MailAddressSyntax.IsValid(Recipients[i])) yield return new($"recipients[{i}]", "must be an e-mail address");
        if (RecipientsBySeverity is not null)
            foreach (var (severity, list) in RecipientsBySeverity)
                for (var i = 0; i < list.Count; i++)
                    if (!MailAddressSyntax.IsValid(list[i])) yield return new($"recipients_by_severity.{severity.ToName()}[{i}]", "must be an e-mail address");
        if (SmtpPassword is not null && SmtpPasswordFile is not null)
            yield return new("smtp_password_file", "give either smtp_password or smtp_password_file, not both");
        if (CaFile is not null && Tls == SmtpTls.None)
            yield return new("ca_file", "is only used with TLS; tls is none");
    }

    /// <summary>Who gets an incident of this severity: its own list when configured, else <see cref="Recipients"/>.</summary>
    public IReadOnlyList<string> RecipientsFor(Severity severity) =>
        RecipientsBySeverity is not null && RecipientsBySeverity.TryGetValue(severity, out var list) ? list : Recipients;
}

public enum WebhookFormat { Ecs, Slack, Teams }

public sealed class WebhookChannelOptions : IValidatable, IChannelSwitch
{
    public bool Enabled { get; set; }
    public Severity MinSeverity { get; set; } = Severity.Info;
    /// <summary>http:// or https:// URL the incident is POSTed to.</summary>
    [ConfigSecretParts] public string? Url { get; set; }
    /// <summary>ecs: the incident as ECS JSON; slack / teams: their incoming-webhook message shapes.</summary>
    public WebhookFormat Format { get; set; } = WebhookFormat.Ecs;
    /// <summary>Extra request headers (e.g. an API key header).</summary>
    [ConfigSecretParts] public Dictionary<string, string>? Headers { get; set; }
    /// <summary>When set, every body is signed: <c>X-BlueTeam-Signature: sha256=&lt;hex HMAC-SHA256(secret, body)&gt;</c>.</summary>
    [ConfigSecret] public string? Secret { get; set; }
    /// <summary>A file holding the signing secret (first line).</summary>
    public string? SecretFile { get; set; }
    public int TimeoutSec { get; set; } = 10;

    public IEnumerable<ConfigProblem> Validate()
    {
        if (TimeoutSec is < 1 or > 600) yield return new("timeout_sec", "must be between 1 and 600");
        if (!Enabled) yield break;
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            yield return new("url", "must be an absolute http:// or https:// URL");
        if (Secret is not null && SecretFile is not null) yield return new("secret_file", "give either secret or secret_file, not both");
        if (Headers is not null)
            foreach (var (name, value) in Headers)
                if (name.Length == 0 || name.Any(c => c <= ' ' || c >= 0x7f || c == ':') || value.Any(char.IsControl))
                    yield return new($"headers.{name}", "header names are printable ASCII without spaces or colons, values have no control characters");
    }
}

public sealed class FileChannelOptions : IValidatable, IChannelSwitch
{
    public bool Enabled { get; set; }
    public Severity MinSeverity { get; set; } = Severity.Info;
    /// <summary>JSON-lines file (one ECS incident per line) for a SIEM file shipper; created with mode 0600.</summary>
    public string? Path { get; set; }

    public IEnumerable<ConfigProblem> Validate()
    {
        if (!Enabled) yield break;
        if (string.IsNullOrWhiteSpace(Path) || !System.IO.Path.IsPathFullyQualified(Path)) yield return new("path", "must be an absolute file path when the file channel is enabled");
    }
}
