using BlueTeam.Alerting;
using BlueTeam.Alerting.Channels;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Tests.Support;
using MailKit.Security;
using Microsoft.Extensions.Time.Testing;
using MimeKit;

namespace BlueTeam.Tests.Alerting;

/// <summary>The e-mail channel against a real SMTP server (aiosmtpd) on loopback.</summary>
public sealed class EmailChannelTests(SmtpServerFixture smtp) : IClassFixture<SmtpServerFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new(AlertIncidents.Start.AddMinutes(2));

    private EmailChannelOptions Options(int? port = null) => new()
    {
        Enabled = true,
        SmtpHost = "127.0.0.1",
        SmtpPort = port ?? smtp.Port,
        Tls = SmtpTls.None,
        FromAddress = "blueteam@eqmon.local",
        Recipients = ["soc@example.org", "oncall@example.org"],
        TimeoutSec = 10,
    };

    private static bool IsAlert(MimeMessage m, long id) => m.Headers["X-BlueTeam-Alert-Id"] == id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task SendAsync_AnUpdate_SubjectTextAndHtmlSayWhatChangedSinceTheLastNotice()
    {
        var channel = new EmailChannel(Options(), _time);
        var incident = AlertIncidents.Incident(Severity.Critical, fingerprint: "fp-mail-update");
        var update = AlertIncidents.Record(incident, id: 1003) with
        {
            Change = new AlertChange(NotifyReason.SeverityRose, Severity.High, 5, AlertIncidents.Start),
        };

        Assert.Equal(DeliveryResult.Delivered(), await channel.SendAsync(update, CancellationToken.None));
        var message = await smtp.WaitForMessageAsync(m => IsAlert(m, 1003), Wait);
        const string change = "update: severity high → critical; 5 → 12 events; since the notice of 2026-03-10 08:30Z";
        Assert.Equal("[CRITICAL] eqmon-web01: SSH brute force from 203.0.113.7 (ssh_brute_force) — " + change, message.Subject);
        Assert.StartsWith("Security Incident Update\n" + new string('=', 40) + "\nU" + change[1..] + "\n", message.TextBody, StringComparison.Ordinal);
        Assert.Contains("<p><strong>" + System.Net.WebUtility.HtmlEncode(change) + "</strong></p>", message.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("\"alert_update\":{\"reason\":\"severity_rose\",\"previous_severity\":\"high\",\"previous_event_count\":5",
            FileChannel.Format(update), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_RealServer_DeliversSubjectFromToAndBodyFields()
    {
        var channel = new EmailChannel(Options(), _time);
        var incident = AlertIncidents.Incident(Severity.Critical, fingerprint: "fp-mail-1") with { CuiInvolved = true };

        var result = await channel.SendAsync(AlertIncidents.Record(incident, id: 1001), CancellationToken.None);

        Assert.Equal(DeliveryResult.Delivered(), result);
        var message = await smtp.WaitForMessageAsync(m => IsAlert(m, 1001), Wait);
        Assert.Equal("[CRITICAL] eqmon-web01: SSH brute force from 203.0.113.7 (ssh_brute_force)", message.Subject);
        Assert.Equal("blueteam@eqmon.local", Assert.Single(message.From.Mailboxes).Address);
        Assert.Equal(["soc@example.org", "oncall@example.org"], message.To.Mailboxes.Select(m => m.Address));
        Assert.Equal("soc@example.org,oncall@example.org", message.Headers["X-RcptTo"]?.Replace(" ", "", StringComparison.Ordinal));
        var body = message.TextBody;
        Assert.Contains("Title: SSH brute force from 203.0.113.7\n", body, StringComparison.Ordinal);
        Assert.Contains("Severity: critical\n", body, StringComparison.Ordinal);
        Assert.Contains("Detected by: ssh_brute_force\n", body, StringComparison.Ordinal);
        Assert.Contains("NIST Controls: 3.14.6, 3.14.7\n", body, StringComparison.Ordinal);
        Assert.Contains("CUI Involved: True\n", body, StringComparison.Ordinal);
        Assert.Contains("Source IP: 203.0.113.7\n", body, StringComparison.Ordinal);
        Assert.Contains("User: root\n", body, StringComparison.Ordinal);
        Assert.Contains("Host: eqmon-web01\n", body, StringComparison.Ordinal);
        Assert.Contains("First seen: 2026-03-10T08:30:00Z\n", body, StringComparison.Ordinal);
        Assert.Contains("Last seen: 2026-03-10T08:30:59Z\n", body, StringComparison.Ordinal);
        Assert.Contains("Event count: 12\n", body, StringComparison.Ordinal);
        Assert.Contains("Fingerprint: fp-mail-1\n", body, StringComparison.Ordinal);
        Assert.Contains("Alert ID: 1001\n", body, StringComparison.Ordinal);
        Assert.Contains("Description:\n12 failed logins in 60 s\n", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_TitleWithCrLfBcc_NoHeaderInjected()
    {
        var channel = new EmailChannel(Options(), _time);
        var incident = AlertIncidents.Incident(title: "owned\r\nBcc: evil@example.org\r\nX-Evil: 1", fingerprint: "fp-mail-2");

        var result = await channel.SendAsync(AlertIncidents.Record(incident, id: 1002), CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Delivered, result.Outcome);
        var message = await smtp.WaitForMessageAsync(m => IsAlert(m, 1002), Wait);
        Assert.Single(message.Headers, h => h.Id == HeaderId.Subject);
        Assert.DoesNotContain(message.Headers, h => h.Id == HeaderId.Bcc);
        Assert.DoesNotContain(message.Headers, h => h.Field == "X-Evil");
        Assert.Empty(message.Bcc);
        Assert.DoesNotContain("evil@example.org", message.Headers["X-RcptTo"], StringComparison.Ordinal);
        Assert.Equal(@"[CRITICAL] eqmon-web01: owned\x0d\x0aBcc: evil@example.org\x0d\x0aX-Evil: 1 (ssh_brute_force)", message.Subject);
    }

    [Fact]
    public async Task SendAsync_ClosedPort_Transient()
    {
        var channel = new EmailChannel(Options(SmtpServerFixture.FreeLoopbackPort()), _time);

        var result = await channel.SendAsync(AlertIncidents.Record(AlertIncidents.Incident()), CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Transient, result.Outcome);
        Assert.Contains("ConnectionRefused", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_RecipientRejected5xx_Permanent()
    {
        await using var server = new SmtpScriptedServer(new() { ["RCPT"] = "550 5.1.1 no such user" });
        var channel = new EmailChannel(Options(server.Port), _time);

        var result = await channel.SendAsync(AlertIncidents.Record(AlertIncidents.Incident()), CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Permanent, result.Outcome);
        Assert.Contains("recipient", result.Error, StringComparison.Ordinal);
        Assert.Contains("550", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_Server4xx_Transient()
    {
        await using var server = new SmtpScriptedServer(new() { ["MAIL"] = "451 4.3.0 try again later" });
        var channel = new EmailChannel(Options(server.Port), _time);

        var result = await channel.SendAsync(AlertIncidents.Record(AlertIncidents.Incident()), CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Transient, result.Outcome);
        Assert.Contains("451", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_AuthenticationRefused_PermanentWithoutPassword()
    {
        await using var server = new SmtpScriptedServer(new()
        {
            ["EHLO"] = "250-scripted\r\n250 AUTH PLAIN LOGIN",
            ["AUTH"] = "535 5.7.8 authentication failed",
        });
        var options = Options(server.Port);
        options.SmtpUsername = "alerts";
        options.SmtpPassword = "s3cret-pw";
        var channel = new EmailChannel(options, _time);

        var result = await channel.SendAsync(AlertIncidents.Record(AlertIncidents.Incident()), CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Permanent, result.Outcome);
        Assert.DoesNotContain("s3cret-pw", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(SmtpTls.Auto, SecureSocketOptions.StartTlsWhenAvailable)]
    [InlineData(SmtpTls.None, SecureSocketOptions.None)]
    [InlineData(SmtpTls.Starttls, SecureSocketOptions.StartTls)]
    [InlineData(SmtpTls.Implicit, SecureSocketOptions.SslOnConnect)]
    public void MapTls_ConfigValue_MapsToMailKitOption(SmtpTls tls, SecureSocketOptions expected)
    {
        Assert.Equal(expected, EmailChannel.MapTls(tls));
    }
}

public sealed class SmtpServerFixtureTests
{
    [Fact]
    public void EnsureImportable_ModuleMissing_FailsWithTheInstallHint()
    {
        var e = Assert.Throws<InvalidOperationException>(() => SmtpServerFixture.EnsureImportable("blueteam_no_such_module"));

        Assert.Contains("README.md", e.Message, StringComparison.Ordinal);
        Assert.Contains("python3-aiosmtpd", e.Message, StringComparison.Ordinal);
        Assert.Contains("ModuleNotFoundError", e.Message, StringComparison.Ordinal);
    }
}
