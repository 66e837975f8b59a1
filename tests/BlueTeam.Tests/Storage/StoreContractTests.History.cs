using BlueTeam.Alerting;
using BlueTeam.Storage;
using static BlueTeam.Tests.Storage.StoreTestData;

namespace BlueTeam.Tests.Storage;

// Bulk reads for the CLI listings and the report: triage and deliveries of many alerts, chain entries of one.
public abstract partial class StoreContractTests
{
    [Fact]
    public async Task ListTriageAsync_AckedSilencedAndPlainAlerts_ReturnsEachExistingOneInIdOrder()
    {
        var store = await MigratedAsync();
        var plain = (await store.SaveAlertAsync(Incident("fp-triage-1"), HostA, ["syslog"], CancellationToken.None)).AlertId;
        var acked = (await store.SaveAlertAsync(Incident("fp-triage-2"), HostA, ["syslog"], CancellationToken.None)).AlertId;
        var silenced = (await store.SaveAlertAsync(Incident("fp-triage-3"), HostB, ["syslog"], CancellationToken.None)).AlertId;
        await store.AckAlertAsync(acked, "alice", "known scanner", CancellationToken.None);
        var silence = await store.AddSilenceAsync(new NewSilence { StartsAt = T0, EndsAt = T0.AddHours(1), CreatedBy = "bob", Reason = "maintenance" }, CancellationToken.None);
        await store.MarkSilencedAsync(silenced, silence.Id, CancellationToken.None);

        var triage = await store.ListTriageAsync([silenced, 999_999, plain, acked, plain], CancellationToken.None);

        Assert.Equal([plain, acked, silenced], triage.Select(t => t.AlertId));
        Assert.False(triage[0].IsAcked);
        Assert.False(triage[0].IsSilenced);
        Assert.Equal("alice", triage[1].AckedBy);
        Assert.Equal("known scanner", triage[1].AckNote);
        Assert.Equal(T0, triage[1].AckedAt);
        Assert.Equal(silence.Id, triage[2].SilenceId);
        Assert.Empty(await store.ListTriageAsync([], CancellationToken.None));
    }

    [Fact]
    public async Task ListTriageAsync_MoreAlertsThanOneBatch_ReturnsThemAll()
    {
        var store = await MigratedAsync();
        var ids = new List<long>();
        for (var i = 0; i < 510; i++)
            ids.Add((await store.SaveAlertAsync(Incident($"fp-batch-{i}"), HostA, [], CancellationToken.None)).AlertId);

        var triage = await store.ListTriageAsync(ids, CancellationToken.None);

        Assert.Equal(ids.Order(), triage.Select(t => t.AlertId));
    }

    [Fact]
    public async Task ListDeliveriesAsync_SeveralAlerts_ReturnsTheirRowsByAlertThenDelivery()
    {
        var store = await MigratedAsync();
        var first = (await store.SaveAlertAsync(Incident("fp-dl-1"), HostA, ["email", "syslog"], CancellationToken.None)).AlertId;
        var second = (await store.SaveAlertAsync(Incident("fp-dl-2"), HostA, ["console"], CancellationToken.None)).AlertId;
        var other = (await store.SaveAlertAsync(Incident("fp-dl-3"), HostA, ["webhook"], CancellationToken.None)).AlertId;
        var email = (await store.GetDeliveriesAsync(first, CancellationToken.None)).Single(d => d.Channel == "email");
        await store.RecordDeliveryAttemptAsync(email.Id, DeliveryStatus.Failed, "550 mailbox unavailable", T0, null, CancellationToken.None);

        var deliveries = await store.ListDeliveriesAsync([second, first], CancellationToken.None);

        Assert.Equal([(first, "email"), (first, "syslog"), (second, "console")], deliveries.Select(d => (d.AlertId, d.Channel)));
        Assert.Equal(DeliveryStatus.Failed, deliveries[0].Status);
        Assert.Equal("550 mailbox unavailable", deliveries[0].LastError);
        Assert.DoesNotContain(deliveries, d => d.AlertId == other);
    }

    [Fact]
    public async Task GetAlertChainAsync_CreatedUpdatedAcked_ListsItsEntriesInChainOrder()
    {
        var store = await MigratedAsync();
        var id = (await store.SaveAlertAsync(Incident("fp-links-1"), HostA, ["syslog"], CancellationToken.None)).AlertId;
        await store.SaveAlertAsync(Incident("fp-links-2"), HostA, ["syslog"], CancellationToken.None);
        await store.SaveAlertAsync(Incident("fp-links-1", eventCount: 9), HostA, ["syslog"], CancellationToken.None);
        await store.AckAlertAsync(id, "alice", null, CancellationToken.None);

        var links = await store.GetAlertChainAsync(id, CancellationToken.None);

        Assert.Equal([(1L, "created"), (3L, "updated"), (4L, "acked")], links.Select(l => (l.Seq, l.Kind)));
        Assert.All(links, l => Assert.Equal(HostA, l.Host));
        Assert.Equal((await store.GetChainHeadAsync(HostA, CancellationToken.None))!.Hash, links[^1].EntryHash);
        Assert.Empty(await store.GetAlertChainAsync(999_999, CancellationToken.None));
    }
}
