using BlueTeam.Alerting;
using BlueTeam.Core.Events;
using static BlueTeam.Tests.Storage.StoreTestData;

namespace BlueTeam.Tests.Storage;

// IDeliveryScheduler: per-channel reads (critical first), deferral without an attempt, recent sends.
public abstract partial class StoreContractTests
{
    private IDeliveryScheduler Scheduler => Store as IDeliveryScheduler
        ?? throw new InvalidOperationException($"{Store.GetType().Name} does not implement IDeliveryScheduler");

    [Fact]
    public async Task GetDueChannelsAsync_PendingDueRowsOnly_DistinctChannelsByName()
    {
        await MigratedAsync();
        await Store.SaveAlertAsync(Incident("fp-ch-1"), HostA, ["webhook", "email"], CancellationToken.None);
        var second = await Store.SaveAlertAsync(Incident("fp-ch-2"), HostA, ["syslog", "email"], CancellationToken.None);
        var syslog = (await Store.GetDeliveriesAsync(second.AlertId, CancellationToken.None)).Single(d => d.Channel == "syslog");
        await Store.RecordDeliveryAttemptAsync(syslog.Id, DeliveryStatus.Delivered, null, T0, null, CancellationToken.None);

        var channels = await Scheduler.GetDueChannelsAsync(T0, CancellationToken.None);
        var beforeQueued = await Scheduler.GetDueChannelsAsync(T0.AddSeconds(-1), CancellationToken.None);

        Assert.Equal(["email", "webhook"], channels);
        Assert.Empty(beforeQueued);
    }

    [Fact]
    public async Task GetDueDeliveriesForChannelAsync_CriticalFirstThenOldestAndOnlyThatChannel()
    {
        await MigratedAsync();
        for (var n = 0; n < 5; n++)
        {
            await Store.SaveAlertAsync(Incident($"fp-low-{n}", Severity.Medium), HostA, ["email", "syslog"], CancellationToken.None);
            Time.Advance(TimeSpan.FromSeconds(1));
        }
        var critical = await Store.SaveAlertAsync(Incident("fp-crit", Severity.Critical), HostA, ["email"], CancellationToken.None);

        var due = await Scheduler.GetDueDeliveriesForChannelAsync("email", Time.GetUtcNow(), 3, CancellationToken.None);

        Assert.Equal(["fp-crit", "fp-low-0", "fp-low-1"], due.Select(d => d.Alert.Fingerprint));
        Assert.All(due, d => Assert.Equal("email", d.Delivery.Channel));
        Assert.Equal(critical.AlertId, due[0].Alert.Id);
        Assert.Equal(Severity.Critical, due[0].Alert.Incident.Severity);
    }

    [Fact]
    public async Task DeferAsync_PendingRows_MovedWithoutCountingAnAttempt()
    {
        await MigratedAsync();
        var saved = await Store.SaveAlertAsync(Incident("fp-defer"), HostA, ["email", "syslog"], CancellationToken.None);
        var rows = await Store.GetDeliveriesAsync(saved.AlertId, CancellationToken.None);
        var email = rows.Single(d => d.Channel == "email");
        var syslog = rows.Single(d => d.Channel == "syslog");
        await Store.RecordDeliveryAttemptAsync(syslog.Id, DeliveryStatus.Delivered, null, T0, null, CancellationToken.None);

        var moved = await Scheduler.DeferAsync([email.Id, syslog.Id, email.Id, 999_999], T0.AddHours(1), CancellationToken.None);

        Assert.Equal(1, moved);
        var after = await Store.GetDeliveriesAsync(saved.AlertId, CancellationToken.None);
        var deferred = after.Single(d => d.Channel == "email");
        Assert.Equal(DeliveryStatus.Pending, deferred.Status);
        Assert.Equal(0, deferred.Attempts);
        Assert.Null(deferred.LastError);
        Assert.Equal(T0.AddHours(1), deferred.NextAttemptAt);
        Assert.Equal(DeliveryStatus.Delivered, after.Single(d => d.Channel == "syslog").Status);
        Assert.Empty(await Scheduler.GetDueDeliveriesForChannelAsync("email", T0.AddMinutes(59), 10, CancellationToken.None));
        Assert.Single(await Scheduler.GetDueDeliveriesForChannelAsync("email", T0.AddHours(1), 10, CancellationToken.None));
    }

    [Fact]
    public async Task DeferAsync_MoreIdsThanOneStatement_AllMovedInOneCall()
    {
        await MigratedAsync();
        var ids = new List<long>();
        for (var n = 0; n < 600; n++)
        {
            var saved = await Store.SaveAlertAsync(Incident($"fp-many-{n}"), HostA, ["email"], CancellationToken.None);
            ids.Add((await Store.GetDeliveriesAsync(saved.AlertId, CancellationToken.None)).Single().Id);
        }

        var moved = await Scheduler.DeferAsync(ids, T0.AddMinutes(30), CancellationToken.None);

        Assert.Equal(600, moved);
        Assert.Empty(await Scheduler.GetDueChannelsAsync(T0.AddMinutes(29), CancellationToken.None));
    }

    [Fact]
    public async Task GetSendsSinceAsync_OneEntryPerChannelAndInstant_OldestFirst()
    {
        await MigratedAsync();
        var deliveries = new List<DeliveryRecord>();
        for (var n = 0; n < 3; n++)
        {
            var saved = await Store.SaveAlertAsync(Incident($"fp-sent-{n}"), HostA, ["email", "syslog"], CancellationToken.None);
            deliveries.AddRange(await Store.GetDeliveriesAsync(saved.AlertId, CancellationToken.None));
        }
        // A digest: three email rows marked at one instant; syslog rows one by one; one old send.
        foreach (var d in deliveries.Where(d => d.Channel == "email"))
            await Store.RecordDeliveryAttemptAsync(d.Id, DeliveryStatus.Delivered, null, T0.AddMinutes(10), null, CancellationToken.None);
        var syslog = deliveries.Where(d => d.Channel == "syslog").ToList();
        await Store.RecordDeliveryAttemptAsync(syslog[0].Id, DeliveryStatus.Delivered, null, T0.AddMinutes(-90), null, CancellationToken.None);
        await Store.RecordDeliveryAttemptAsync(syslog[1].Id, DeliveryStatus.Delivered, null, T0.AddMinutes(5), null, CancellationToken.None);
        await Store.RecordDeliveryAttemptAsync(syslog[2].Id, DeliveryStatus.Failed, "550", T0.AddMinutes(6), null, CancellationToken.None);

        var sends = await Scheduler.GetSendsSinceAsync(T0.AddMinutes(-60), CancellationToken.None);

        Assert.Equal([new ChannelSend("syslog", T0.AddMinutes(5)), new ChannelSend("email", T0.AddMinutes(10))], sends);
    }
}
