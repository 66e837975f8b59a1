using BlueTeam.Alerting;
using BlueTeam.Alerting.Channels;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using MimeKit;

namespace BlueTeam.Tests.Alerting;

/// <summary>Per-severity recipients and the HTML part, against a real SMTP server (aiosmtpd).</summary>
public sealed class EmailRecipientsTests(SmtpServerFixture smtp) : IClassFixture<SmtpServerFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new(AlertIncidents.Start.AddMinutes(2));

    private EmailChannel Channel() => new(new EmailChannelOptions
    {
        Enabled = true,
        SmtpHost = "127.0.0.1",
        SmtpPort = smtp.Port,
        Tls = SmtpTls.None,
        Recipients = ["soc@example.org"],
        RecipientsBySeverity = new() { [Severity.Critical] = ["pager@example.org", "ciso@example.org"] },
        TimeoutSec = 10,
    }, _time);

    private static bool IsAlert(MimeMessage m, long id) => m.Headers["X-BlueTeam-Alert-Id"] == id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task SendAsync_CriticalAndHigh_EachToItsSeverityList()
    {
        var channel = Channel();

        await channel.SendAsync(AlertIncidents.Record(AlertIncidents.Incident(Severity.Critical, fingerprint: "fp-r1"), id: 2001), CancellationToken.None);
        await channel.SendAsync(AlertIncidents.Record(AlertIncidents.Incident(Severity.High, fingerprint: "fp-r2"), id: 2002), CancellationToken.None);

        var critical = await smtp.WaitForMessageAsync(m => IsAlert(m, 2001), Wait);
        var high = await smtp.WaitForMessageAsync(m => IsAlert(m, 2002), Wait);
        Assert.Equal(["pager@example.org", "ciso@example.org"], critical.To.Mailboxes.Select(m => m.Address));
        Assert.Equal(["soc@example.org"], high.To.Mailboxes.Select(m => m.Address));
    }

    [Fact]
    public async Task SendAsync_HostileTitle_HtmlAlternativeEncodedAndPlainTextKept()
    {
        var incident = AlertIncidents.Incident(Severity.High, title: "<script>alert(1)</script> brute", user: "<b>root</b>", fingerprint: "fp-html");

        await Channel().SendAsync(AlertIncidents.Record(incident, id: 2003), CancellationToken.None);

        var message = await smtp.WaitForMessageAsync(m => IsAlert(m, 2003), Wait);
        Assert.Contains("Title: <script>alert(1)</script> brute", message.TextBody, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt; brute", message.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;root&lt;/b&gt;", message.HtmlBody, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", message.HtmlBody, StringComparison.Ordinal);
    }
}
