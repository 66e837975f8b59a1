using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BlueTeam.Alerting;
using BlueTeam.Alerting.Channels;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Storage;
using BlueTeam.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using MimeKit;
using Spectre.Console.Testing;

namespace BlueTeam.Tests.Alerting;

/// <summary>
/// Attacker-controlled text (a title and a user name from log lines) through the real engine, the
/// SQLite store and every channel to real peers: it arrives as inert text everywhere.
/// </summary>
public sealed class AlertInjectionTests(SmtpServerFixture smtp, SyslogServerFixture rsyslog)
    : IClassFixture<SmtpServerFixture>, IClassFixture<SyslogServerFixture>, IDisposable
{
    private const string Secret = "injection-test-key";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    // CR/LF with a Bcc line, ANSI (colour, OSC title, BEL), Spectre markup, a forged RFC 5424 record
    // and a forged RFC 3164 line, SQL quotes, structured-data brackets.
    private const string Title = "pwn\r\nBcc: evil@example.org\r\n\u001b[31mRED\u001b]0;owned\u0007 [red]markup[/] "
        + "<13>1 2026-01-01T00:00:00Z forged blueteam - FORGED - x\n<13>Mar  1 00:00:00 forged: FORGED3164 "
        + "'; DROP TABLE alert_history; -- ] \"";
    private const string User = "root\"'\r\nBcc: user@example.org\u001b[2J [bold]u[/] ] \\ '); DELETE FROM alert_deliveries; --";

    private readonly FakeTimeProvider _time = new(AlertIncidents.Start);
    private readonly TempDir _dir = new();
    private readonly WebhookTestServer _webhook = new();

    public void Dispose()
    {
        _webhook.Dispose();
        _dir.Dispose();
    }

    [Theory]
    [InlineData(SyslogTransport.Local)]
    [InlineData(SyslogTransport.Udp)]
    [InlineData(SyslogTransport.Tcp)]
    public async Task Deliver_HostileTitleAndUser_InertOnEveryChannel(SyslogTransport syslogTransport)
    {
        var marker = $"inj{Guid.NewGuid():N}"[..16];
        using var localSyslog = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        var socketPath = _dir.File("log");
        localSyslog.Bind(new UnixDomainSocketEndPoint(socketPath));
        var console = new TestConsole().Width(200);
        var file = _dir.File("alerts.jsonl");
        var channels = new Dictionary<string, IAlertChannel>
        {
            ["console"] = new ConsoleChannel(console),
            ["email"] = new EmailChannel(new EmailChannelOptions { Enabled = true, SmtpHost = "127.0.0.1", SmtpPort = smtp.Port, Tls = SmtpTls.None, Recipients = ["soc@example.org"], TimeoutSec = 10 }, _time),
            ["webhook"] = new WebhookChannel(new WebhookChannelOptions { Enabled = true, Url = _webhook.Url(), Secret = Secret, TimeoutSec = 5 }, _time),
            ["file"] = new FileChannel(new FileChannelOptions { Enabled = true, Path = file }),
            ["syslog"] = syslogTransport == SyslogTransport.Local
                ? new SyslogChannel(new SyslogChannelOptions { Socket = socketPath }, _time)
                : new RemoteSyslogChannel(new SyslogChannelOptions
                {
                    Transport = syslogTransport, Server = "127.0.0.1", Port = syslogTransport == SyslogTransport.Udp ? rsyslog.UdpPort : rsyslog.TcpPort, TimeoutSec = 5,
                }, _time),
        };
        await using var store = StoreFactory.Create(new DatabaseOptions { Driver = DatabaseDriver.Sqlite, Path = _dir.File("blueteam.db") }, _time);
        await store.MigrateAsync(CancellationToken.None);
        var options = new AlertingOptions { Routes = [new RouteOptions { Match = new(), Channels = [.. channels.Keys] }] };
        var noise = (AdoStore)store;
        var engine = new AlertEngine(new AlertRouter(options, channels.Keys), store, "eqmon-web01", options, _time, noise, noise, noise);
        var dispatcher = new DeliveryDispatcher(store, channels, _time);

        var raised = await engine.RaiseAsync(AlertIncidents.Incident(Severity.Critical, title: Title, user: User, fingerprint: marker), CancellationToken.None);
        var attempts = await dispatcher.DrainAsync(5, CancellationToken.None);

        Assert.Equal(5, attempts.Count);
        Assert.All(attempts, a => Assert.Equal(DeliveryStatus.Delivered, a.Status));

        // Store: SQL quotes are data, kept exactly; nothing else was touched.
        var stored = await store.GetAlertAsync(raised.AlertId, CancellationToken.None);
        Assert.Equal(Title, stored!.Incident.Title);
        Assert.Equal(User, stored.Incident.User!.Name);
        Assert.Single(await store.ListAlertsAsync(new AlertQuery(), CancellationToken.None));
        Assert.Equal(5, (await store.GetDeliveriesAsync(raised.AlertId, CancellationToken.None)).Count);

        // Console: no escape sequence or bell reaches the terminal, markup is printed as text.
        var screen = console.Output;
        Assert.DoesNotContain('\u001b', screen);
        Assert.DoesNotContain('\u0007', screen);
        Assert.Contains("[red]markup[/]", screen, StringComparison.Ordinal);
        Assert.Contains("[bold]u[/]", screen, StringComparison.Ordinal);
        AssertNoLineStartsWith(screen, "Bcc:");

        // E-mail: one subject line, no Bcc header or recipient, a body without control characters.
        var mail = await smtp.WaitForMessageAsync(m => m.Headers["X-BlueTeam-Fingerprint"] == marker, Wait);
        Assert.Empty(mail.Bcc);
        Assert.DoesNotContain(mail.Headers, h => h.Id == HeaderId.Bcc);
        Assert.Equal("soc@example.org", mail.Headers["X-RcptTo"]);
        Assert.DoesNotContain('\n', mail.Subject ?? "");
        Assert.DoesNotContain('\u001b', mail.TextBody ?? "");
        AssertNoLineStartsWith(mail.TextBody ?? "", "Bcc:");
        Assert.DoesNotContain("<span", mail.HtmlBody ?? "", StringComparison.Ordinal);
        Assert.DoesNotContain("[red]markup[/] <13>", mail.HtmlBody ?? "", StringComparison.Ordinal); // '<' is encoded in HTML

        // Webhook: a valid signature over a body with no raw control byte; the JSON carries the text.
        var request = Assert.Single(_webhook.Requests);
        Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), request.Body)), request.Headers[WebhookChannel.SignatureHeader]);
        Assert.DoesNotContain(request.Body, b => b < 0x20);
        using (var json = JsonDocument.Parse(request.Body))
        {
            Assert.Equal(marker, json.RootElement.GetProperty("fingerprint").GetString());
            Assert.Equal(Title, json.RootElement.GetProperty("title").GetString());
        }

        // File: exactly one JSON line, no raw control byte.
        var lines = await File.ReadAllLinesAsync(file);
        var line = Assert.Single(lines);
        Assert.DoesNotContain(line, c => c < 0x20);
        using (JsonDocument.Parse(line)) { }

        // Syslog: one record, the real one (crit on local6), no forged second record.
        if (syslogTransport == SyslogTransport.Local)
        {
            var buffer = new byte[65536];
            using var timeout = new CancellationTokenSource(Wait);
            var n = await localSyslog.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            var datagram = Encoding.UTF8.GetString(buffer, 0, n);
            Assert.Equal(0, localSyslog.Available);
            Assert.StartsWith("<178>", datagram, StringComparison.Ordinal);
            Assert.DoesNotContain(datagram, c => c < 0x20);
            Assert.Contains(marker, datagram, StringComparison.Ordinal);
        }
        else
        {
            var record = await rsyslog.WaitForLineAsync(marker, Wait);
            Assert.StartsWith("2 22 blueteam incident ", record, StringComparison.Ordinal);
            await Task.Delay(300); // anything forged would be written right behind it
            var all = await ReadSharedAsync(rsyslog.OutputPath);
            Assert.Single(all.Split('\n'), l => l.Contains("FORGED", StringComparison.Ordinal) && l.Contains(marker, StringComparison.Ordinal));
            // Every line naming FORGED is one of these tests' real records (they share this rsyslog).
            Assert.All(all.Split('\n').Where(l => l.Contains("FORGED", StringComparison.Ordinal)),
                l => Assert.StartsWith("2 22 blueteam incident SECURITY_INCIDENT [CRITICAL] pwn", l, StringComparison.Ordinal));
        }
    }

    private static void AssertNoLineStartsWith(string text, string prefix) =>
        Assert.DoesNotContain(text.Split('\n'), l => l.TrimStart(' ', '│', '|', '\r').StartsWith(prefix, StringComparison.Ordinal));

    private static async Task<string> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }
}
