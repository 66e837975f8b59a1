using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using BlueTeam.Tests.Support;
using Xunit.Abstractions;

namespace BlueTeam.Tests.Cli;

/// <summary>
/// The daemon with an SMTP server that accepts the connection and never answers: syslog (a real
/// rsyslog on loopback) and the file channel must not wait for it.
/// </summary>
public sealed class StuckChannelEndToEndTests : IClassFixture<SyslogServerFixture>, IDisposable
{
    private readonly SyslogServerFixture _syslog;
    private readonly ITestOutputHelper _output;
    private readonly TempDir _dir = new();
    private readonly TcpListener _silentSmtp = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _held = [];
    private readonly CancellationTokenSource _stop = new();

    public StuckChannelEndToEndTests(SyslogServerFixture syslog, ITestOutputHelper output)
    {
        _syslog = syslog;
        _output = output;
        _silentSmtp.Start();
        _ = AcceptAndHoldAsync();
    }

    // Accepts every connection and keeps it open without sending a greeting: the client waits
    // for its own timeout (60 s here), as with a hung mail relay.
    private async Task AcceptAndHoldAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var socket = await _silentSmtp.AcceptSocketAsync(_stop.Token);
                lock (_held) _held.Add(socket);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // The test is over.
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _silentSmtp.Stop();
        lock (_held) foreach (var s in _held) s.Dispose();
        _stop.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Monitor_SmtpAcceptsAndNeverAnswers_CriticalIncidentReachesSyslogAndFileWithinOneSecond()
    {
        var log = _dir.File("auth.log");
        var alertsFile = _dir.File("alerts.jsonl");
        var config = _dir.File("blueteam.yaml");
        var smtpPort = ((IPEndPoint)_silentSmtp.LocalEndpoint).Port;
        File.WriteAllText(config, $"""
            host: stuck-smtp-host
            database: {"{"}driver: sqlite, path: {_dir.File("blueteam.db")}{"}"}
            monitoring: {"{"}poll_interval_sec: 1{"}"}
            correlation:
              rules:
                off_hours_login: {"{"}enabled: false{"}"}
                ssh_brute_force: {"{"}severity: critical{"}"}
            collectors:
              auth_log: {"{"}type: auth, paths: [{log}]{"}"}
            alerting:
              console: {"{"}enabled: false{"}"}
              syslog: {"{"}enabled: true, transport: udp, server: 127.0.0.1, port: {_syslog.UdpPort}{"}"}
              email: {"{"}enabled: true, smtp_host: 127.0.0.1, smtp_port: {smtpPort}, tls: none, recipients: [soc@example.org], timeout_sec: 60{"}"}
              file: {"{"}enabled: true, path: {alertsFile}{"}"}
              routing: {"{"}critical: [email, syslog, file]{"}"}
            """);
        var now = DateTime.Now;
        await File.WriteAllLinesAsync(log, [AuthLogLines.Cron(now.AddMinutes(-5))]);

        using var daemon = BlueTeamProcess.Start(["--config", config, "monitor"]);
        await daemon.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));
        await Task.Delay(500);
        await File.AppendAllLinesAsync(log, AuthLogLines.FailedPasswords("203.0.113.77", 6, now, TimeSpan.FromSeconds(2)));

        // Until syslog and file are delivered (or give up after 15 s, far less than the SMTP timeout).
        JsonElement alert = default;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["--config", config, "alerts", "list", "--format", "json"]);
            Assert.True(exit == 0, stderr);
            var alerts = JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToList();
            if (alerts.Count == 1)
            {
                alert = alerts[0];
                if (Status(alert, "syslog") == "delivered" && Status(alert, "file") == "delivered") break;
            }
            await Task.Delay(200);
        }
        Assert.Equal(JsonValueKind.Object, alert.ValueKind);
        Assert.Equal("ssh_brute_force", alert.GetProperty("rule_name").GetString());
        Assert.Equal("critical", alert.GetProperty("severity").GetString());

        var stored = alert.GetProperty("created_at").GetDateTimeOffset();
        foreach (var channel in new[] { "syslog", "file" })
        {
            var delivery = Delivery(alert, channel);
            Assert.Equal("delivered", delivery.GetProperty("status").GetString());
            var late = delivery.GetProperty("delivered_at").GetDateTimeOffset() - stored;
            _output.WriteLine($"{channel}: delivered {late.TotalMilliseconds:F0} ms after the incident was stored");
            Assert.True(late < TimeSpan.FromSeconds(1), $"{channel} delivered {late.TotalMilliseconds:F0} ms after the incident was stored");
        }
        // The mail is still stuck in its send: not delivered, not failed.
        Assert.Equal("pending", Status(alert, "email"));
        lock (_held) Assert.NotEmpty(_held);

        // What the real receivers got.
        Assert.Contains("203.0.113.77", await File.ReadAllTextAsync(alertsFile));
        var received = await _syslog.WaitForLineAsync("203.0.113.77", TimeSpan.FromSeconds(5));
        Assert.Contains("blueteam", received);

        daemon.Signal(BlueTeamProcess.SIGTERM);
        await daemon.WaitForExitAsync(TimeSpan.FromSeconds(90));
    }

    private static JsonElement Delivery(JsonElement alert, string channel) =>
        alert.GetProperty("deliveries").EnumerateArray().SingleOrDefault(d => d.GetProperty("channel").GetString() == channel) is { ValueKind: JsonValueKind.Object } d
            ? d : throw new Xunit.Sdk.XunitException($"no {channel} delivery in {alert.GetProperty("deliveries")}");

    private static string? Status(JsonElement alert, string channel) =>
        alert.GetProperty("deliveries").EnumerateArray().Where(d => d.GetProperty("channel").GetString() == channel)
            .Select(d => d.GetProperty("status").GetString()).FirstOrDefault();
}
