using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Cli;

/// <summary>
/// `blueteam test-alert` through the real path: the built binary, a temp SQLite store, a real SMTP
/// server (Debian's aiosmtpd) and a syslog socket on this machine.
/// </summary>
public class TestAlertEndToEndTests : IClassFixture<SmtpServerFixture>, IDisposable
{
    private readonly SmtpServerFixture _smtp;
    private readonly TempDir _dir = new();
    private readonly Socket _syslog;
    private readonly string _config;

    public TestAlertEndToEndTests(SmtpServerFixture smtp)
    {
        _smtp = smtp;
        var socketPath = _dir.File("log.sock");
        _syslog = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        _syslog.Bind(new UnixDomainSocketEndPoint(socketPath));
        _config = _dir.File("blueteam.yaml");
        File.WriteAllText(_config, $"""
            host: eqmon-web01
            database:
              driver: sqlite
              path: {_dir.File("blueteam.db")}
            alerting:
              console: {"{"}enabled: true{"}"}
              syslog: {"{"}enabled: true, socket: {socketPath}{"}"}
              email:
                enabled: true
                smtp_host: 127.0.0.1
                smtp_port: {_smtp.Port}
                tls: none
                from_address: blueteam@eqmon.local
                recipients: [soc@example.org]
            """);
    }

    public void Dispose()
    {
        _syslog.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task TestAlert_Critical_StoresAlertWithOneDeliveryPerChannel_EmailAndSyslogReceived()
    {
        var title = $"fire alarm check {Guid.NewGuid():N}";
        var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["--config", _config, "test-alert", "--severity", "critical", "--title", title]);
        Assert.True(exit == 0, $"exit {exit}\n{stdout}\n{stderr}");

        var (listExit, json, listErr) = await BlueTeamProcess.RunAsync(["--config", _config, "alerts", "list", "--format", "json"]);
        Assert.True(listExit == 0, listErr);
        var alert = Assert.Single(JsonDocument.Parse(json).RootElement.EnumerateArray());
        Assert.Equal(title, alert.GetProperty("title").GetString());
        Assert.Equal("critical", alert.GetProperty("severity").GetString());
        var deliveries = alert.GetProperty("deliveries").EnumerateArray()
            .ToDictionary(d => d.GetProperty("channel").GetString()!, d => d.GetProperty("status").GetString());
        Assert.Equal(new Dictionary<string, string?> { ["console"] = "delivered", ["email"] = "delivered", ["syslog"] = "delivered" }, deliveries);

        var mail = await _smtp.WaitForMessageAsync(m => (m.Subject ?? "").Contains(title, StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.StartsWith("[CRITICAL] ", mail.Subject, StringComparison.Ordinal);
        Assert.Contains($": {title} (", mail.Subject, StringComparison.Ordinal); // host: title (rule)
        var body = mail.TextBody ?? "";
        Assert.Contains($"Title: {title}", body);
        Assert.Contains("Severity: critical", body);
        Assert.Contains("Detected by: test_alert", body);
        Assert.Contains("NIST Controls: 3.3.4", body);
        Assert.Equal("soc@example.org", Assert.Single(mail.To.Mailboxes).Address);

        var buffer = new byte[8192];
        _syslog.ReceiveTimeout = 5000;
        var n = _syslog.Receive(buffer);
        var line = Encoding.UTF8.GetString(buffer, 0, n);
        Assert.StartsWith("<178>", line); // LOCAL6 (22) * 8 + crit (2)
        Assert.Contains($"SECURITY_INCIDENT [CRITICAL] {title}", line);
    }

    [Fact]
    public async Task TestAlert_SmtpDown_ReportsFailureAndExitsNonZero()
    {
        var config = _dir.File("down.yaml");
        var closedPort = SmtpServerFixture.FreeLoopbackPort();
        await File.WriteAllTextAsync(config, (await File.ReadAllTextAsync(_config)).Replace($"smtp_port: {_smtp.Port}", $"smtp_port: {closedPort}", StringComparison.Ordinal));
        var (exit, stdout, _) = await BlueTeamProcess.RunAsync(["--config", config, "test-alert", "--severity", "high"]);
        Assert.Equal(1, exit);
        Assert.Contains("email", stdout);
        Assert.Contains("pending", stdout); // transient: kept for retry, not forgotten
    }
}
