using BlueTeam.Tests.Support;
using Xunit.Abstractions;

namespace BlueTeam.Tests.Reliability;

/// <summary>
/// SMTP and the remote syslog collector down while attacks arrive, then back: the daemon raises
/// alert_delivery_failure meanwhile (through the channel that still works, the file) and, once
/// they are back, delivers every alert to both, from its durable outbox.
/// </summary>
[Trait("Category", "Fault")]
public class ChannelOutageTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly ITestOutputHelper _output;

    public ChannelOutageTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Monitor_SmtpAndSyslogDownThenBack_DeliveryFailureRaised_EveryAlertDeliveredAfterwards()
    {
        var attacks = FaultRig.Setting("BLUETEAM_FAULT_OUTAGE_ATTACKS", 3);
        var smtpPort = SmtpServerFixture.FreeLoopbackPort();
        var syslogPort = SmtpServerFixture.FreeLoopbackPort();
        var log = _dir.File("auth.log");
        var sent = _dir.File("alerts.jsonl");
        var config = _dir.File("blueteam.yaml");
        await File.WriteAllTextAsync(config, FaultRig.Config("outage-host", $"{{driver: sqlite, path: {_dir.File("bt.db")}}}", 1,
            $"  auth_log: {{type: auth, paths: [{log}]}}",
            $$"""
              console: {enabled: false}
              syslog: {enabled: true, transport: tcp, server: 127.0.0.1, port: {{syslogPort}}, timeout_sec: 2}
              email: {enabled: true, smtp_host: 127.0.0.1, smtp_port: {{smtpPort}}, tls: none, from_address: bt@example.org, recipients: [soc@example.org], timeout_sec: 2}
              file: {enabled: true, path: {{sent}}}
              routing: {critical: [email, syslog], high: [email, syslog], medium: [syslog], low: [syslog]}
              delivery_failure: {channel_down_after_sec: 3}
            """));
        var writer = new AttackWriter(log);

        using var daemon = BlueTeamProcess.Start(["--config", config, "monitor"]);
        await daemon.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));
        for (var i = 0; i < attacks; i++) await writer.WriteNextAsync(TimeSpan.Zero);
        var ips = writer.Attacks.Select(a => a.Ip).ToList();

        // Meanwhile: alert_delivery_failure, for each channel, stored and sent through the file channel.
        await FaultRig.WaitUntilAsync(async () =>
            {
                var failures = (await FaultRig.AlertsAsync(config)).Where(a => a.GetProperty("rule_name").GetString() == "alert_delivery_failure").ToList();
                return failures.Count >= 2 && File.Exists(sent) && File.ReadAllText(sent).Contains("alert_delivery_failure", StringComparison.Ordinal);
            },
            TimeSpan.FromSeconds(60), () => $"no alert_delivery_failure for both channels\n{daemon.Stderr}");
        var failureTitles = (await FaultRig.AlertsAsync(config)).Where(a => a.GetProperty("rule_name").GetString() == "alert_delivery_failure")
            .Select(a => a.GetProperty("title").GetString()!).ToList();
        Assert.Contains(failureTitles, t => t.Contains("email", StringComparison.Ordinal));
        Assert.Contains(failureTitles, t => t.Contains("syslog", StringComparison.Ordinal));

        // Back: every brute force reaches both, from the outbox.
        using var smtp = new SmtpServerFixture(smtpPort);
        using var syslog = new SyslogServerFixture(syslogPort);
        var back = System.Diagnostics.Stopwatch.StartNew();
        foreach (var ip in ips)
        {
            await smtp.WaitForMessageAsync(m => (m.Subject ?? "").Contains(ip, StringComparison.Ordinal), TimeSpan.FromSeconds(120));
            await syslog.WaitForLineAsync(ip, TimeSpan.FromSeconds(120));
        }
        // Update notifications (the count grew) queued during the outage are retried on their own
        // backoff, so wait for the outbox to drain rather than sampling it once.
        var drainDeadline = DateTime.UtcNow.AddSeconds(90);
        List<System.Text.Json.JsonElement> undelivered;
        do
        {
            undelivered = (await FaultRig.AlertsAsync(config))
                .Where(a => a.GetProperty("rule_name").GetString() == "ssh_brute_force")
                .Where(a => a.GetProperty("deliveries").EnumerateArray().Any(d => d.GetProperty("status").GetString() != "delivered"))
                .ToList();
            if (undelivered.Count > 0) await Task.Delay(500);
        }
        while (undelivered.Count > 0 && DateTime.UtcNow < drainDeadline);
        Assert.True(undelivered.Count == 0, $"not delivered: {string.Join(Environment.NewLine, undelivered)}");
        var figures = $"attacks={ips.Count} delivery-failure-incidents={failureTitles.Count} all-delivered-after={back.Elapsed.TotalSeconds:F0}s lost=0";
        _output.WriteLine(figures);
        var report = Environment.GetEnvironmentVariable("BLUETEAM_FAULT_REPORT");
        if (!string.IsNullOrEmpty(report)) await File.AppendAllTextAsync(report, "channel-outage: " + figures + Environment.NewLine);

        daemon.Signal(BlueTeamProcess.SIGTERM);
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }
}
