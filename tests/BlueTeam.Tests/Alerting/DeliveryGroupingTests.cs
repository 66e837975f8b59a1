using BlueTeam.Alerting;
using BlueTeam.Alerting.Channels;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace BlueTeam.Tests.Alerting;

/// <summary>Digests (group_wait) and per-channel budgets (max_per_hour) in the dispatcher.</summary>
public sealed class DeliveryGroupingTests(SmtpServerFixture smtp) : IClassFixture<SmtpServerFixture>
{
    private readonly FakeTimeProvider _time = new(AlertIncidents.Start);

    private static SecurityIncident Brute(int n, Severity severity = Severity.High, string rule = "ssh_brute_force")
    {
        var ip = $"198.51.{n / 250}.{n % 250}";
        return AlertIncidents.Incident(severity, title: $"SSH brute force from {ip}", ip: ip, fingerprint: $"{rule}-{n}") with
        {
            Rule = new IncidentRule { Id = "BT-R001", Name = rule },
        };
    }

    [Fact]
    public async Task Dispatch_ThousandBruteForceInAMinute_FewDigestMailsAllStored()
    {
        var store = new InMemoryAlertStore(_time);
        var options = new AlertingOptions { GroupWaitSec = 60, MaxPerHour = new() { ["email"] = 10 } };
        var emailOptions = new EmailChannelOptions { Enabled = true, SmtpHost = "127.0.0.1", SmtpPort = smtp.Port, Tls = SmtpTls.None, Recipients = ["soc@example.org"], TimeoutSec = 10 };
        var channels = new Dictionary<string, IAlertChannel> { ["email"] = new EmailChannel(emailOptions, _time) };
        var router = new AlertRouter(options, channels.Keys);
        var engine = new AlertEngine(router, store, "eqmon-web01", options, _time, store, store, store);
        var dispatcher = new DeliveryDispatcher(store, channels, _time, new DeliveryRetryOptions { BatchSize = 500 }, null, DeliveryGrouping.From(options));

        // 1,000 incidents over 60 s, a dispatch round every 5 s as the daemon does.
        for (var n = 0; n < 1000; n++)
        {
            await engine.RaiseAsync(Brute(n), CancellationToken.None);
            if (n % 83 == 82)
            {
                _time.Advance(TimeSpan.FromSeconds(5));
                await dispatcher.DispatchDueAsync(CancellationToken.None);
            }
        }
        for (var i = 0; i < 20; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(5));
            await dispatcher.DispatchDueAsync(CancellationToken.None);
        }

        Assert.Equal(1000, store.Alerts.Count);
        Assert.Equal(1000, store.Deliveries.Count(d => d.Status == DeliveryStatus.Delivered));
        // Only this test mails in this class, so every message in the Maildir is one of its digests.
        var first = await smtp.WaitForMessageAsync(m => (m.Subject ?? "").Contains("ssh_brute_force from", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.StartsWith("[HIGH] ssh_brute_force from ", first.Subject, StringComparison.Ordinal);
        Assert.Contains("and ", first.TextBody, StringComparison.Ordinal);
        var mails = Directory.GetFiles(Path.Combine(smtp.MaildirPath, "new")).Select(f => MimeKit.MimeMessage.Load(f)).ToList();
        Assert.InRange(mails.Count, 1, 4);
        Assert.All(mails, m => Assert.Contains("ssh_brute_force from", m.Subject, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Dispatch_OverBudget_HeldThenOneSummaryCriticalNeverHeld()
    {
        var store = new InMemoryAlertStore(_time);
        var channel = new ScriptedChannel("webhook", DeliveryResult.Delivered());
        var grouping = new DeliveryGrouping(TimeSpan.Zero, new Dictionary<string, int> { ["webhook"] = 2 });
        var dispatcher = new DeliveryDispatcher(store, new Dictionary<string, IAlertChannel> { ["webhook"] = channel }, _time, null, null, grouping);
        string[] rules = ["r1", "r2", "r3", "r4"];
        for (var i = 0; i < rules.Length; i++)
            await store.SaveAlertAsync(Brute(i, rule: rules[i]), "eqmon-web01", ["webhook"], CancellationToken.None);

        await dispatcher.DispatchDueAsync(CancellationToken.None);
        // Budget spent (2 sends: r1, then a summary of r2..r4). More alerts now are held...
        await store.SaveAlertAsync(Brute(10, rule: "r5"), "eqmon-web01", ["webhook"], CancellationToken.None);
        await store.SaveAlertAsync(Brute(11, rule: "r6"), "eqmon-web01", ["webhook"], CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(5));
        await dispatcher.DispatchDueAsync(CancellationToken.None);
        var heldRows = store.Deliveries.Count(d => d.Status == DeliveryStatus.Pending);
        // ...but a critical one is not.
        await store.SaveAlertAsync(Brute(12, Severity.Critical, rule: "r7"), "eqmon-web01", ["webhook"], CancellationToken.None);
        await dispatcher.DispatchDueAsync(CancellationToken.None);
        var sentBeforeHour = channel.Sent.Count;
        _time.Advance(TimeSpan.FromHours(1));
        await dispatcher.DispatchDueAsync(CancellationToken.None);

        Assert.Equal(2, heldRows);
        Assert.Equal("r1", channel.Sent[0].Incident.Rule.Name);
        Assert.StartsWith("3 alerts held over the channel's budget", channel.Sent[1].Incident.Title, StringComparison.Ordinal);
        Assert.Equal(Severity.Critical, channel.Sent[2].Incident.Severity);
        Assert.Equal(3, sentBeforeHour);
        Assert.Equal(5, channel.Sent.Count);
        Assert.All(store.Deliveries, d => Assert.Equal(DeliveryStatus.Delivered, d.Status));
    }

    [Fact]
    public async Task Dispatch_GroupWaitNotElapsed_NothingSentYet()
    {
        var store = new InMemoryAlertStore(_time);
        var channel = new ScriptedChannel("syslog", DeliveryResult.Delivered());
        var dispatcher = new DeliveryDispatcher(store, new Dictionary<string, IAlertChannel> { ["syslog"] = channel }, _time, null, null,
            new DeliveryGrouping(TimeSpan.FromSeconds(30), new Dictionary<string, int>()));
        await store.SaveAlertAsync(Brute(1), "eqmon-web01", ["syslog"], CancellationToken.None);
        await store.SaveAlertAsync(Brute(2), "eqmon-web01", ["syslog"], CancellationToken.None);

        var early = await dispatcher.DispatchDueAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(30));
        var later = await dispatcher.DispatchDueAsync(CancellationToken.None);

        Assert.Empty(early);
        Assert.Equal(2, later.Count);
        var digest = Assert.Single(channel.Sent);
        Assert.Equal("ssh_brute_force from 2 sources in 59 s", digest.Incident.Title);
        Assert.Equal(24, digest.Incident.EventCount);
    }
}
