using BlueTeam.Core.Events;

namespace BlueTeam.Core.Config;

// Alerting stage options (alerting.*).

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
