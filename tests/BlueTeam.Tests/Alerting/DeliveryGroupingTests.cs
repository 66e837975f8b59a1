using BlueTeam.Alerting;
using BlueTeam.Alerting.Channels;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Storage;
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
        // The real store (SQLite, as the daemon opens it) and the default batch size: a digest must
        // cover the whole burst, not one batch of 100.
        using var dir = new TempDir();
        await using var store = StoreFactory.Create(new DatabaseOptions { Driver = DatabaseDriver.Sqlite, Path = dir.File("blueteam.db") }, _time);
        await store.MigrateAsync(CancellationToken.None);
        var options = new AlertingOptions { GroupWaitSec = 60, MaxPerHour = new() { ["email"] = 10 } };
        var emailOptions = new EmailChannelOptions { Enabled = true, SmtpHost = "127.0.0.1", SmtpPort = smtp.Port, Tls = SmtpTls.None, Recipients = ["soc@example.org"], TimeoutSec = 10 };
        var channels = new Dictionary<string, IAlertChannel> { ["email"] = new EmailChannel(emailOptions, _time) };
        var router = new AlertRouter(options, channels.Keys);
        var noise = (AdoStore)store;
        var engine = new AlertEngine(router, store, "eqmon-web01", options, _time, noise, noise, noise);
        var dispatcher = new DeliveryDispatcher(store, channels, _time, new DeliveryRetryOptions(), null, DeliveryGrouping.From(options));

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

        var alerts = await store.ListAlertsAsync(new AlertQuery { Limit = 5000 }, CancellationToken.None);
        Assert.Equal(1000, alerts.Count);
        Assert.Equal(1000, alerts.Select(a => a.Incident.Source!.Ip).Distinct().Count());
        var pending = await store.GetDueDeliveriesAsync(_time.GetUtcNow().AddDays(1), 10, CancellationToken.None);
        Assert.Empty(pending);
        // Only this test mails in this class, so every message in the Maildir is one of its digests.
        await smtp.WaitForMessageAsync(m => (m.Subject ?? "").Contains("ssh_brute_force from", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        var mails = smtp.Messages();
        Assert.InRange(mails.Count, 1, 3);
        Assert.All(mails, m => Assert.StartsWith("[HIGH] eqmon-web01: ssh_brute_force from ", m.Subject, StringComparison.Ordinal));
        // Every incident is in exactly one digest: the sources named in the subjects add up to 1,000,
        // and the first digest covers far more than one batch.
        var sources = mails.Select(m => int.Parse((m.Subject ?? "").Split(' ')[4], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(1000, sources.Sum());
        Assert.True(sources.Max() > new DeliveryRetryOptions().BatchSize, $"largest digest covers {sources.Max()} sources");
    }

    [Fact]
    public async Task Dispatch_HeldOverBudget_DeferredWithoutAttemptAndCriticalNotCrowdedOut()
    {
        var store = new InMemoryAlertStore(_time);
        var channel = new ScriptedChannel("webhook", DeliveryResult.Delivered());
        var grouping = new DeliveryGrouping(TimeSpan.Zero, new Dictionary<string, int> { ["webhook"] = 1 });
        // A batch smaller than the held backlog: a dispatcher reading the oldest rows first would never see the critical one.
        var dispatcher = new DeliveryDispatcher(store, new Dictionary<string, IAlertChannel> { ["webhook"] = channel }, _time,
            new DeliveryRetryOptions { BatchSize = 5 }, null, grouping with { MaxRowsPerRound = 5 });
        await store.SaveAlertAsync(Brute(0, rule: "r0"), "eqmon-web01", ["webhook"], CancellationToken.None);
        await dispatcher.DispatchDueAsync(CancellationToken.None); // spends the budget
        for (var i = 1; i <= 20; i++)
            await store.SaveAlertAsync(Brute(i, rule: $"r{i}"), "eqmon-web01", ["webhook"], CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(1));
        for (var round = 0; round < 4; round++) await dispatcher.DispatchDueAsync(CancellationToken.None);
        var heldRows = store.Deliveries.Where(d => d.Status == DeliveryStatus.Pending).ToList();

        await store.SaveAlertAsync(Brute(99, Severity.Critical, rule: "r99"), "eqmon-web01", ["webhook"], CancellationToken.None);
        await dispatcher.DispatchDueAsync(CancellationToken.None);
        var afterCritical = channel.Sent.Count;
        _time.Advance(TimeSpan.FromHours(1));
        for (var round = 0; round < 5; round++) await dispatcher.DispatchDueAsync(CancellationToken.None);

        Assert.Equal(20, heldRows.Count);
        Assert.All(heldRows, d => Assert.Equal(0, d.Attempts));
        Assert.All(heldRows, d => Assert.Equal(AlertIncidents.Start + TimeSpan.FromHours(1), d.NextAttemptAt));
        Assert.Equal(2, afterCritical);
        Assert.Equal(Severity.Critical, channel.Sent[1].Incident.Severity);
        // An hour on, the budget (1) allows one send: a summary of the held rows it could read.
        Assert.StartsWith("5 alerts held over the channel's budget", channel.Sent[2].Incident.Title, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispatch_Restarted_BudgetRebuiltFromDeliveredRows()
    {
        var store = new InMemoryAlertStore(_time);
        var grouping = new DeliveryGrouping(TimeSpan.Zero, new Dictionary<string, int> { ["webhook"] = 2 });
        var before = new ScriptedChannel("webhook", DeliveryResult.Delivered());
        var first = new DeliveryDispatcher(store, new Dictionary<string, IAlertChannel> { ["webhook"] = before }, _time, null, null, grouping);
        await store.SaveAlertAsync(Brute(1, rule: "r1"), "eqmon-web01", ["webhook"], CancellationToken.None);
        await first.DispatchDueAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(1));
        await store.SaveAlertAsync(Brute(2, rule: "r2"), "eqmon-web01", ["webhook"], CancellationToken.None);
        await first.DispatchDueAsync(CancellationToken.None);

        // The daemon restarts ten minutes later; its budget for the hour is already spent.
        _time.Advance(TimeSpan.FromMinutes(10));
        var after = new ScriptedChannel("webhook", DeliveryResult.Delivered());
        var restarted = new DeliveryDispatcher(store, new Dictionary<string, IAlertChannel> { ["webhook"] = after }, _time, null, null, grouping);
        await store.SaveAlertAsync(Brute(3, rule: "r3"), "eqmon-web01", ["webhook"], CancellationToken.None);
        await restarted.DispatchDueAsync(CancellationToken.None);
        var sentWithinTheHour = after.Sent.Count;
        _time.Advance(TimeSpan.FromMinutes(50));
        await restarted.DispatchDueAsync(CancellationToken.None);

        Assert.Equal(2, before.Sent.Count);
        Assert.Equal(0, sentWithinTheHour);
        Assert.Equal("r3", Assert.Single(after.Sent).Incident.Rule.Name);
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
