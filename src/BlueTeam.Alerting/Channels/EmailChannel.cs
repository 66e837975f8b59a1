using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using BlueTeam.Core.Text;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;

namespace BlueTeam.Alerting.Channels;

/// <summary>Sends one e-mail per alert over SMTP (MailKit): plain text, with an HTML alternative unless <c>html: false</c>, to the recipients of its severity.</summary>
/// <remarks>
/// <para>Headers are built by MimeKit from typed values, and the subject is made inert first, so a
/// CR/LF in an incident title can never add a header (a Bcc, say). The body's fields are made
/// inert too: mail is often read in a terminal.</para>
/// <para>Classification: anything about reaching the server (refused, reset, timeout, protocol
/// confusion) and SMTP 4xx replies are transient; 5xx replies (530 "authenticate or STARTTLS
/// first" included), refused credentials, TLS that
/// cannot be negotiated as configured and missing server features are permanent, because they
/// will fail the same way until someone changes the config.</para>
/// <para>The password is held in memory only and never logged; MailKit's exceptions do not carry it.</para>
/// </remarks>
public sealed class EmailChannel : IAlertChannel
{
    private readonly EmailChannelOptions _options;
    private readonly MailboxAddress _from;
    private readonly Dictionary<Severity, IReadOnlyList<MailboxAddress>> _recipients = [];
    private readonly string? _password;
    // The private CA of alerting.email.ca_file, or null for the system store.
    private readonly X509Certificate2Collection? _trust;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <exception cref="ConfigException">
    /// Addresses that do not parse, or an unreadable or empty password file
    /// (<c>alerting.email.smtp_password_file</c>), or a CA file that cannot be read (<c>alerting.email.ca_file</c>).
    /// </exception>
    public EmailChannel(EmailChannelOptions options, TimeProvider time, ILogger<EmailChannel>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _options = options;
        _time = time;
        _logger = (ILogger?)logger ?? NullLogger.Instance;

        var errors = new List<ConfigError>();
        var from = ParseAddress(options.FromAddress, "alerting.email.from_address", errors);
        foreach (var severity in Enum.GetValues<Severity>())
        {
            var bySeverity = options.RecipientsBySeverity is not null && options.RecipientsBySeverity.ContainsKey(severity);
            var list = options.RecipientsFor(severity);
            var recipients = new List<MailboxAddress>();
            for (var n = 0; n < list.Count; n++)
            {
                var key = bySeverity ? $"alerting.email.recipients_by_severity.{severity.ToName()}[{n}]" : $"alerting.email.recipients[{n}]";
                if (ParseAddress(list[n], key, errors) is { } r) recipients.Add(r);
            }
            _recipients[severity] = recipients;
        }
        if (options.Recipients.Count == 0 && (options.RecipientsBySeverity is null || options.RecipientsBySeverity.Count == 0))
            errors.Add(new ConfigError("alerting.email.recipients", "alerting.email", "needs at least one address when email is enabled"));
        // Parse errors for the shared list would repeat once per severity; keep each once.
        var distinct = errors.Distinct().ToList();
        errors.Clear();
        errors.AddRange(distinct);
        _password = ResolvePassword(options, errors);
        _trust = LoadTrust(options.CaFile, errors);
        if (errors.Count > 0 || from is null) throw new ConfigException("alerting.email", errors);
        _from = from;
    }

    public string Name => ChannelNames.Email;

    public static SecureSocketOptions MapTls(SmtpTls tls) => tls switch
    {
        SmtpTls.None => SecureSocketOptions.None,
        SmtpTls.Starttls => SecureSocketOptions.StartTls,
        SmtpTls.Implicit => SecureSocketOptions.SslOnConnect,
        _ => SecureSocketOptions.StartTlsWhenAvailable,
    };

    public async Task<DeliveryResult> SendAsync(AlertRecord alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (_recipients[alert.Incident.Severity].Count == 0)
            return DeliveryResult.Permanent($"no recipients configured for severity {alert.Incident.Severity.ToName()} (alerting.email.recipients_by_severity)");
        var message = BuildMessage(alert);
        var timeout = TimeSpan.FromSeconds(_options.TimeoutSec);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        using var client = new SmtpClient { Timeout = (int)timeout.TotalMilliseconds };
        if (_trust is not null) client.ServerCertificateValidationCallback = VerifyWithPrivateCa;
        var where = $"SMTP {_options.SmtpHost}:{_options.SmtpPort.ToString(CultureInfo.InvariantCulture)}";
        try
        {
            await client.ConnectAsync(_options.SmtpHost, _options.SmtpPort, MapTls(_options.Tls), deadline.Token).ConfigureAwait(false);
            if (!string.IsNullOrEmpty(_options.SmtpUsername))
                await client.AuthenticateAsync(_options.SmtpUsername, _password ?? "", deadline.Token).ConfigureAwait(false);
            await client.SendAsync(message, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            return DeliveryResult.Transient($"{where}: no answer within {_options.TimeoutSec} s");
        }
        catch (SmtpCommandException e) when ((int)e.StatusCode is >= 400 and < 500)
        {
            // 4xx is the server saying "not now" (greylisting, full queue), also for a recipient.
            return DeliveryResult.Transient($"{where}: {(int)e.StatusCode} {e.Message}");
        }
        catch (SmtpCommandException e)
        {
            var what = e.ErrorCode switch
            {
                SmtpErrorCode.RecipientNotAccepted => $"recipient {e.Mailbox} rejected",
                SmtpErrorCode.SenderNotAccepted => $"sender {e.Mailbox} rejected",
                _ => "message rejected",
            };
            return DeliveryResult.Permanent($"{where}: {what}: {(int)e.StatusCode} {e.Message}");
        }
        catch (ServiceNotAuthenticatedException e)
        {
            // 530: the server wants AUTH (or STARTTLS) before mail; it will say so until the config changes.
            return DeliveryResult.Permanent($"{where}: the server requires authentication or TLS first (tls: {_options.Tls.ToString().ToLowerInvariant()}): 530 {e.Message}");
        }
        catch (AuthenticationException e)
        {
            return DeliveryResult.Permanent($"{where}: authentication as {_options.SmtpUsername} refused: {e.Message}");
        }
        catch (SslHandshakeException e)
        {
            return DeliveryResult.Permanent($"{where}: TLS handshake failed (tls: {_options.Tls.ToString().ToLowerInvariant()}): {e.Message}");
        }
        catch (NotSupportedException e)
        {
            // e.g. tls: starttls against a server without STARTTLS, or a username for a server without AUTH.
            return DeliveryResult.Permanent($"{where}: {e.Message}");
        }
        catch (ProtocolException e)
        {
            // SmtpProtocolException: the conversation broke; a fresh connection may well work.
            return DeliveryResult.Transient($"{where}: protocol error: {e.Message}");
        }
        catch (SocketException e)
        {
            return DeliveryResult.Transient($"{where}: {e.SocketErrorCode}: {e.Message}");
        }
        catch (IOException e)
        {
            return DeliveryResult.Transient($"{where}: connection failed: {e.Message}");
        }
        catch (TimeoutException e)
        {
            return DeliveryResult.Transient($"{where}: timed out: {e.Message}");
        }

        await QuitAsync(client, where).ConfigureAwait(false);
        return DeliveryResult.Delivered();
    }

    /// <summary>The message for an alert; exposed to tests to check headers and body.</summary>
    internal MimeMessage BuildMessage(AlertRecord alert)
    {
        var i = alert.Incident;
        var message = new MimeMessage { Date = _time.GetUtcNow() };
        message.From.Add(_from);
        message.To.AddRange(_recipients[i.Severity]);
        // Triage from a phone's inbox list: severity, which host, what happened, and the rule, before the mail is opened.
        // An update says up front what changed since this channel's last notice (fixed words and numbers only).
        message.Subject = $"[{i.Severity.ToName().ToUpperInvariant()}] {SafeText.Inert(alert.Host, 64)}: {SafeText.Inert(i.Title, 400)} ({SafeText.Inert(i.Rule.Name, 64)})"
            + (alert.Change is { } change ? " — " + change.Describe(i) : "");
        message.Headers.Add("X-BlueTeam-Alert-Id", alert.Id.ToString(CultureInfo.InvariantCulture));
        message.Headers.Add("X-BlueTeam-Fingerprint", SafeText.Inert(i.Fingerprint, 128));
        var body = new BodyBuilder { TextBody = BuildBody(alert) };
        if (_options.Html) body.HtmlBody = BuildHtmlBody(alert);
        message.Body = body.ToMessageBody();
        return message;
    }

    internal static string BuildBody(AlertRecord alert)
    {
        var i = alert.Incident;
        static string S(string? text) => string.IsNullOrEmpty(text) ? "-" : SafeText.Inert(text);
        static string T(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.Append(alert.Change is null ? "Security Incident Detected\n" : "Security Incident Update\n")
          .Append('=', 40).Append('\n');
        if (alert.Change?.Describe(i) is { } change) sb.Append(char.ToUpperInvariant(change[0])).Append(change[1..]).Append("\n\n");
        sb
          .Append("Title: ").Append(S(i.Title)).Append('\n')
          .Append("Severity: ").Append(i.Severity.ToName()).Append('\n')
          .Append("Detected by: ").Append(S(i.DetectedBy)).Append('\n')
          .Append("NIST Controls: ").Append(S(string.Join(", ", i.NistControls))).Append('\n')
          .Append("CUI Involved: ").Append(i.CuiInvolved ? "True" : "False").Append('\n')
          .Append("Source IP: ").Append(S(i.Source?.Ip)).Append('\n')
          .Append("User: ").Append(S(i.User?.Name)).Append('\n')
          .Append("Host: ").Append(S(i.Host?.Hostname ?? alert.Host)).Append('\n')
          .Append("First seen: ").Append(T(i.FirstSeen)).Append('\n')
          .Append("Last seen: ").Append(T(i.LastSeen)).Append('\n')
          .Append("Event count: ").Append(i.EventCount.ToString(CultureInfo.InvariantCulture)).Append('\n')
          .Append("Fingerprint: ").Append(S(i.Fingerprint)).Append('\n')
          .Append("Alert ID: ").Append(alert.Id.ToString(CultureInfo.InvariantCulture)).Append('\n')
          .Append('\n')
          .Append("Description:\n").Append(S(i.Description)).Append('\n');
        return sb.ToString();
    }

    /// <summary>
    /// The HTML alternative: the same fields in a table. Every value is made inert and then
    /// HTML-encoded, so attacker text cannot add markup, links or scripts to the mail.
    /// </summary>
    internal static string BuildHtmlBody(AlertRecord alert)
    {
        var i = alert.Incident;
        static string H(string? text) => System.Net.WebUtility.HtmlEncode(string.IsNullOrEmpty(text) ? "-" : SafeText.Inert(text));
        static string T(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var colour = i.Severity switch { Severity.Critical => "#8b0000", Severity.High => "#c0392b", Severity.Medium => "#b7950b", Severity.Low => "#2471a3", _ => "#555555" };
        var rows = new (string, string)[]
        {
            ("Severity", i.Severity.ToName()), ("Detected by", i.DetectedBy), ("NIST Controls", string.Join(", ", i.NistControls)),
            ("CUI Involved", i.CuiInvolved ? "True" : "False"), ("Source IP", i.Source?.Ip ?? "-"), ("User", i.User?.Name ?? "-"),
            ("Host", i.Host?.Hostname ?? alert.Host), ("First seen", T(i.FirstSeen)), ("Last seen", T(i.LastSeen)),
            ("Event count", i.EventCount.ToString(CultureInfo.InvariantCulture)), ("Fingerprint", i.Fingerprint),
            ("Alert ID", alert.Id.ToString(CultureInfo.InvariantCulture)),
        };
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html><html><body style=\"font-family:sans-serif\">")
          .Append("<h2 style=\"color:").Append(colour).Append("\">[").Append(i.Severity.ToName().ToUpperInvariant()).Append("] ").Append(H(i.Title)).Append("</h2>")
          .Append(alert.Change is { } change ? "<p><strong>" + H(change.Describe(i)) + "</strong></p>" : "")
          .Append("<table cellpadding=\"4\" style=\"border-collapse:collapse\">");
        foreach (var (name, value) in rows)
            sb.Append("<tr><th align=\"left\">").Append(H(name)).Append("</th><td>").Append(H(value)).Append("</td></tr>");
        sb.Append("</table><h3>Description</h3><p>").Append(H(i.Description)).Append("</p></body></html>");
        return sb.ToString();
    }

    private async Task QuitAsync(SmtpClient client, string where)
    {
        // The server has accepted the message; a failed QUIT must not turn that into a retry
        // (the recipients would get it twice), so it is only logged.
        try
        {
            using var quitDeadline = new CancellationTokenSource(TimeSpan.FromSeconds(Math.Min(5, _options.TimeoutSec)));
            await client.DisconnectAsync(true, quitDeadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ProtocolException or OperationCanceledException or TimeoutException)
        {
            Log.SmtpQuitFailed(_logger, e, where);
        }
    }

    // A private CA: the name must still match; only the chain is rebuilt against that CA alone
    // (no revocation check: a private CA for one mail relay rarely publishes a CRL).
    private bool VerifyWithPrivateCa(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            return false;
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_trust!);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return custom.Build(leaf);
    }

    private static X509Certificate2Collection? LoadTrust(string? caFile, List<ConfigError> errors)
    {
        if (caFile is null) return null;
        const string key = "alerting.email.ca_file";
        try
        {
            var trust = new X509Certificate2Collection();
            trust.ImportFromPemFile(caFile);
            if (trust.Count > 0) return trust;
            errors.Add(new ConfigError(key, "alerting.email", $"{caFile} holds no PEM certificate"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            errors.Add(new ConfigError(key, "alerting.email", $"cannot read {caFile}: {e.Message}"));
        }
        return null;
    }

    private static MailboxAddress? ParseAddress(string? text, string key, List<ConfigError> errors)
    {
        if (MailboxAddress.TryParse(text ?? "", out var address)) return address;
        errors.Add(new ConfigError(key, "alerting.email", $"'{SafeText.Inert(text, 200)}' is not an e-mail address"));
        return null;
    }

    private static string? ResolvePassword(EmailChannelOptions options, List<ConfigError> errors)
    {
        if (options.SmtpPassword is not null) return options.SmtpPassword;
        if (options.SmtpPasswordFile is null) return null;
        const string key = "alerting.email.smtp_password_file";
        try
        {
            using var reader = new StreamReader(options.SmtpPasswordFile);
            var first = reader.ReadLine();
            if (string.IsNullOrEmpty(first))
            {
                errors.Add(new ConfigError(key, "alerting.email", $"{options.SmtpPasswordFile} is empty; its first line must be the password"));
                return null;
            }
            return first;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            errors.Add(new ConfigError(key, "alerting.email", $"cannot read {options.SmtpPasswordFile}: {e.Message}"));
            return null;
        }
    }
}

/// <summary>The e-mail channel in the <see cref="ChannelRegistry"/>.</summary>
internal sealed class EmailChannelType() : CoreChannelType<EmailChannelOptions>(ChannelNames.Email, a => a.Email)
{
    protected override IAlertChannel Create(EmailChannelOptions options, ChannelContext context)
    {
        ChannelChecks.ThrowIfInvalid(options, "alerting.email");
        return new EmailChannel(options, context.Time, context.Loggers.CreateLogger<EmailChannel>());
    }
}
