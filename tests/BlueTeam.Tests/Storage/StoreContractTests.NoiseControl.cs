using BlueTeam.Alerting;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Storage;
using static BlueTeam.Tests.Storage.StoreTestData;
using AlertSilence = BlueTeam.Alerting.Silence;

namespace BlueTeam.Tests.Storage;

// What the alert engine reads and writes to keep noise down (INotificationLog, ISilenceSource,
// IAckSource), with the semantics of the in-memory reference store.
public abstract partial class StoreContractTests
{
    private static INotificationLog Notifications(IBlueTeamStore store) => Assert.IsAssignableFrom<INotificationLog>(store);
    private static ISilenceSource Silences(IBlueTeamStore store) => Assert.IsAssignableFrom<ISilenceSource>(store);
    private static IAckSource Acks(IBlueTeamStore store) => Assert.IsAssignableFrom<IAckSource>(store);

    [Fact]
    public async Task GetLastNotificationsAsync_SavedThenRequeued_NewestRowPerChannelWithWhatItWasQueuedFor()
    {
        var store = await MigratedAsync();
        var saved = await store.SaveAlertAsync(Incident("fp-notify", eventCount: 5), HostA, ["email", "syslog"], CancellationToken.None);
        Assert.Empty(await Notifications(store).GetLastNotificationsAsync(saved.AlertId + 1, CancellationToken.None));

        await Notifications(store).EnqueueDeliveriesAsync(saved.AlertId, ["email", "email"], NotifyReason.CountGrew, Severity.Critical, 12, T0.AddMinutes(10), CancellationToken.None);
        var syslog = (await store.GetDeliveriesAsync(saved.AlertId, CancellationToken.None)).Single(d => d.Channel == "syslog");
        await store.RecordDeliveryAttemptAsync(syslog.Id, DeliveryStatus.Delivered, null, T0.AddSeconds(1), null, CancellationToken.None);

        var last = await Notifications(store).GetLastNotificationsAsync(saved.AlertId, CancellationToken.None);

        Assert.Equal(
            [
                new ChannelNotification("email", T0.AddMinutes(10), Severity.Critical, 12, DeliveryStatus.Pending),
                new ChannelNotification("syslog", T0, Severity.High, 5, DeliveryStatus.Delivered),
            ],
            last.OrderBy(n => n.Channel, StringComparer.Ordinal));
        var history = await store.GetNotificationHistoryAsync(saved.AlertId, CancellationToken.None);
        Assert.Equal([("email", NotifyReason.New), ("syslog", NotifyReason.New), ("email", NotifyReason.CountGrew)], history.Select(h => (h.Channel, h.Reason)));
    }

    [Fact]
    public async Task EnqueueDeliveriesAsync_ExistingAlert_RowsAreDueAtQueuedAtAndTheChainIsUntouched()
    {
        var store = await MigratedAsync();
        var saved = await store.SaveAlertAsync(Incident("fp-requeue"), HostA, ["syslog"], CancellationToken.None);
        var first = Assert.Single(await store.GetDueDeliveriesAsync(T0, 10, CancellationToken.None));
        await store.RecordDeliveryAttemptAsync(first.Delivery.Id, DeliveryStatus.Delivered, null, T0, null, CancellationToken.None);
        var headBefore = await store.GetChainHeadAsync(HostA, CancellationToken.None);

        await Notifications(store).EnqueueDeliveriesAsync(saved.AlertId, ["syslog"], NotifyReason.Repeat, Severity.High, 9, T0.AddHours(4), CancellationToken.None);

        Assert.Empty(await store.GetDueDeliveriesAsync(T0.AddHours(4).AddTicks(-10), 10, CancellationToken.None));
        var due = Assert.Single(await store.GetDueDeliveriesAsync(T0.AddHours(4), 10, CancellationToken.None));
        Assert.Equal(("syslog", DeliveryStatus.Pending, 0), (due.Delivery.Channel, due.Delivery.Status, due.Delivery.Attempts));
        Assert.Equal(saved.AlertId, due.Alert.Id);
        Assert.Equal(2, (await store.GetDeliveriesAsync(saved.AlertId, CancellationToken.None)).Count);
        Assert.Equal(headBefore, await store.GetChainHeadAsync(HostA, CancellationToken.None));
        Assert.Equal([new ChannelBacklog("syslog", 1, T0.AddHours(4))], await store.GetOutboxBacklogAsync(CancellationToken.None));
    }

    [Fact]
    public async Task GetDueDeliveriesAsync_AnUpdate_CarriesWhatItsChannelLastDelivered_AFirstNoticeCarriesNothing()
    {
        var store = await MigratedAsync();
        var saved = await store.SaveAlertAsync(Incident("fp-change", eventCount: 5), HostA, ["syslog"], CancellationToken.None);
        var first = Assert.Single(await store.GetDueDeliveriesAsync(T0, 10, CancellationToken.None));
        Assert.Null(first.Alert.Change);
        await store.RecordDeliveryAttemptAsync(first.Delivery.Id, DeliveryStatus.Delivered, null, T0, null, CancellationToken.None);

        // The burst goes on and turns critical: the engine saves it, then queues an update for the channel.
        await store.SaveAlertAsync(Incident("fp-change", Severity.Critical, eventCount: 12), HostA, ["syslog"], CancellationToken.None);
        await Notifications(store).EnqueueDeliveriesAsync(saved.AlertId, ["syslog"], NotifyReason.SeverityRose, Severity.Critical, 12, T0.AddMinutes(10), CancellationToken.None);

        var due = Assert.Single(await store.GetDueDeliveriesAsync(T0.AddMinutes(10), 10, CancellationToken.None));
        Assert.Equal(new AlertChange(NotifyReason.SeverityRose, Severity.High, 5, T0), due.Alert.Change);
        Assert.Equal("update: severity high → critical; 5 → 12 events; since the notice of 2026-03-10 08:30Z", due.Alert.Change!.Describe(due.Alert.Incident));
        Assert.Equal(due.Alert.Change, Assert.Single(await Assert.IsAssignableFrom<IDeliveryScheduler>(store).GetDueDeliveriesForChannelAsync("syslog", T0.AddMinutes(10), 10, CancellationToken.None)).Alert.Change);
    }

    [Fact]
    public async Task EnqueueDeliveriesAsync_NoSuchAlert_ThrowsStoreException()
    {
        var store = await MigratedAsync();

        var ex = await Assert.ThrowsAsync<StoreException>(() =>
            Notifications(store).EnqueueDeliveriesAsync(42, ["syslog"], NotifyReason.New, Severity.Low, 1, T0, CancellationToken.None));

        Assert.Contains("queue deliveries of alert 42", ex.Message);
    }

    [Fact]
    public async Task GetActiveSilencesAsync_WindowAndExpiry_MapsStoredSilencesForTheEngine()
    {
        var store = await MigratedAsync();
        var active = await store.AddSilenceAsync(new NewSilence
        {
            RuleName = "ssh_brute_force",
            Matchers = [LabelMatcher.Create(IncidentLabels.SourceIp, MatchOperator.Equal, "203.0.113.0/24")],
            StartsAt = T0.AddMinutes(-5),
            EndsAt = T0.AddHours(2),
            CreatedBy = "alice",
            Reason = "pen test",
        }, CancellationToken.None);
        var expired = await store.AddSilenceAsync(new NewSilence { RuleName = "sudo_abuse", StartsAt = T0, EndsAt = T0.AddHours(8), CreatedBy = "bob", Reason = "noisy" }, CancellationToken.None);
        await store.AddSilenceAsync(new NewSilence { RuleName = "later", StartsAt = T0.AddHours(3), EndsAt = T0.AddHours(4), CreatedBy = "bob", Reason = "future" }, CancellationToken.None);
        Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(SilenceExpiry.Expired, await store.ExpireSilenceAsync(expired.Id, CancellationToken.None));

        var atHalfHour = await Silences(store).GetActiveSilencesAsync(T0.AddMinutes(30), CancellationToken.None);
        var atNinety = await Silences(store).GetActiveSilencesAsync(T0.AddMinutes(90), CancellationToken.None);
        var atTwoHours = await Silences(store).GetActiveSilencesAsync(T0.AddHours(2), CancellationToken.None);

        Assert.Equal([active.Id, expired.Id], atHalfHour.Select(s => s.Id));
        var mapped = atHalfHour[0];
        Assert.Equal(new AlertSilence
        {
            Id = active.Id,
            StartsAt = T0.AddMinutes(-5),
            EndsAt = T0.AddHours(2),
            CreatedBy = "alice",
            Comment = "pen test",
            RuleName = "ssh_brute_force",
            Labels = mapped.Labels,
            Matchers = mapped.Matchers,
        }, mapped);
        Assert.Equal([LabelMatcher.Create(IncidentLabels.SourceIp, MatchOperator.Equal, "203.0.113.0/24")], mapped.Matchers);
        Assert.True(mapped.Matches(Incident("fp-silenced"), HostA, T0.AddMinutes(30)));
        Assert.Equal(T0.AddHours(1), atHalfHour[1].EndsAt); // an expired silence ends at its expiry
        Assert.Equal([active.Id], atNinety.Select(s => s.Id));
        Assert.Empty(atTwoHours);
    }

    [Fact]
    public async Task MarkSilencedAsync_ThroughISilenceSource_MarksTheAlertAndChainsIt()
    {
        var store = await MigratedAsync();
        var silence = await store.AddSilenceAsync(new NewSilence { RuleName = "ssh_brute_force", StartsAt = T0, EndsAt = T0.AddHours(1), CreatedBy = "alice", Reason = "pen test" }, CancellationToken.None);
        var saved = await store.SaveAlertAsync(Incident("fp-mark"), HostA, [], CancellationToken.None);

        await Silences(store).MarkSilencedAsync(saved.AlertId, silence.Id, CancellationToken.None);

        Assert.Equal(silence.Id, (await store.GetTriageAsync(saved.AlertId, CancellationToken.None))?.SilenceId);
        Assert.Equal(["created", "silenced"], (await store.GetAlertChainAsync(saved.AlertId, CancellationToken.None)).Select(l => l.Kind));
        Assert.True((await VerifyAsync(HostA)).IsIntact);
        await Assert.ThrowsAsync<StoreException>(() => Silences(store).MarkSilencedAsync(saved.AlertId + 100, silence.Id, CancellationToken.None));
    }

    [Fact]
    public async Task GetAckAsync_BeforeAndAfterAck_ReturnsWhoWhenAndTheSeverityAtAck()
    {
        var store = await MigratedAsync();
        var saved = await store.SaveAlertAsync(Incident("fp-ack", Severity.Medium), HostA, ["syslog"], CancellationToken.None);
        Assert.Null(await Acks(store).GetAckAsync(saved.AlertId, CancellationToken.None));
        Assert.Null(await Acks(store).GetAckAsync(saved.AlertId + 100, CancellationToken.None));
        Time.Advance(TimeSpan.FromMinutes(5));
        await store.AckAlertAsync(saved.AlertId, "alice", "on it", CancellationToken.None);

        await store.SaveAlertAsync(Incident("fp-ack", Severity.Critical), HostA, ["syslog"], CancellationToken.None);

        Assert.Equal(new AlertAck(saved.AlertId, "alice", T0.AddMinutes(5), Severity.Medium), await Acks(store).GetAckAsync(saved.AlertId, CancellationToken.None));
    }

    // The engine over the real store: the same decisions it makes over the in-memory reference.
    [Fact]
    public async Task AlertEngine_OverTheStore_RenotifiesOnGrowthSilencesAndHonoursAcks()
    {
        var store = await MigratedAsync();
        var options = new AlertingOptions();
        var engine = new AlertEngine(new AlertRouter(options, ["console", "syslog", "email"]), store, HostA, options, Time,
            Notifications(store), Silences(store), Acks(store));

        var created = await engine.RaiseAsync(Incident("fp-engine", eventCount: 12), CancellationToken.None);
        var small = await engine.RaiseAsync(Incident("fp-engine", eventCount: 15), CancellationToken.None);
        var doubled = await engine.RaiseAsync(Incident("fp-engine", eventCount: 24), CancellationToken.None);
        await store.AckAlertAsync(created.AlertId, "alice", null, CancellationToken.None);
        var ackedGrowth = await engine.RaiseAsync(Incident("fp-engine", eventCount: 100), CancellationToken.None);
        var ackedWorse = await engine.RaiseAsync(Incident("fp-engine", Severity.Critical, eventCount: 101), CancellationToken.None);
        var silence = await store.AddSilenceAsync(new NewSilence { RuleName = "ssh_brute_force", StartsAt = T0, EndsAt = T0.AddHours(1), CreatedBy = "alice", Reason = "pen test" }, CancellationToken.None);
        var silenced = await engine.RaiseAsync(Incident("fp-engine-2"), CancellationToken.None);

        Assert.True(created.IsNew);
        Assert.Empty(small.Queued);
        Assert.Equal(NotifyReason.CountGrew, doubled.Reason);
        Assert.Empty(ackedGrowth.Queued);
        Assert.Equal(NotifyReason.SeverityRose, ackedWorse.Reason);
        Assert.Equal(["email", "syslog", "console"], ackedWorse.Queued);
        Assert.Equal(silence.Id, silenced.SilencedBy);
        Assert.Empty(await store.GetDeliveriesAsync(silenced.AlertId, CancellationToken.None));
        Assert.Equal(silence.Id, (await store.GetTriageAsync(silenced.AlertId, CancellationToken.None))?.SilenceId);
        var history = await store.GetNotificationHistoryAsync(created.AlertId, CancellationToken.None);
        Assert.Equal(
            [NotifyReason.New, NotifyReason.New, NotifyReason.CountGrew, NotifyReason.CountGrew, NotifyReason.SeverityRose, NotifyReason.SeverityRose, NotifyReason.SeverityRose],
            history.Select(h => h.Reason));
        Assert.True((await VerifyAsync(HostA)).IsIntact);
    }

    [Fact]
    public async Task MigrateAsync_FromVersion4WithDeliveries_KeepsRowsAndIdsAndFillsWhatTheyWereQueuedFor()
    {
        await ((AdoStore)Store).MigrateAsync(4, CancellationToken.None);
        await ExecuteSqlAsync($"""
            INSERT INTO {Table("alert_history")} (fingerprint, host, rule_id, rule_name, severity, title, description, detected_by,
                nist_controls, cui_involved, event_count, first_seen, last_seen, created_at, updated_at, incident_json)
            VALUES ('fp-v4', '{HostA}', 'BT-OLD', 'old_rule', 'medium', 'old', 'old', 'old_rule', '3.3.1', '1', 7,
                '2025-01-01T00:00:00.0000000Z', '2025-01-01T00:00:00.0000000Z', '2025-01-01T00:00:00.0000000Z',
                '2025-01-01T00:00:00.0000000Z', '{EcsJson.Serialize(Incident("fp-v4")).Replace("'", "''", StringComparison.Ordinal)}');
            INSERT INTO {Table("alert_deliveries")} (alert_id, channel, status, attempts, next_attempt_at, created_at)
                SELECT id, 'syslog', 'delivered', 1, NULL, '2025-01-01T00:00:05.0000000Z' FROM {Table("alert_history")};
            INSERT INTO {Table("alert_deliveries")} (alert_id, channel, status, attempts, next_attempt_at, created_at)
                SELECT id, 'email', 'pending', 0, '2025-01-01T00:00:05.0000000Z', '2025-01-01T00:00:05.0000000Z' FROM {Table("alert_history")};
            INSERT INTO {Table("alert_deliveries")} (alert_id, channel, status, attempts, next_attempt_at, created_at)
                SELECT id, 'console', 'pending', 0, '2025-01-01T00:00:05.0000000Z', '2025-01-01T00:00:05.0000000Z' FROM {Table("alert_history")};
            DELETE FROM {Table("alert_deliveries")} WHERE channel = 'console';
            """);
        var alert = Assert.Single(await Store.ListAlertsAsync(new AlertQuery(), CancellationToken.None));
        var before = await Store.GetDeliveriesAsync(alert.Id, CancellationToken.None);

        Assert.Contains(5, await Store.MigrateAsync(CancellationToken.None));

        Assert.Equal(before, await Store.GetDeliveriesAsync(alert.Id, CancellationToken.None));
        var at = new DateTimeOffset(2025, 1, 1, 0, 0, 5, TimeSpan.Zero);
        Assert.Equal(
            [new QueuedNotification(before[0].Id, "syslog", at, Severity.Medium, 7, NotifyReason.New, DeliveryStatus.Delivered),
             new QueuedNotification(before[1].Id, "email", at, Severity.Medium, 7, NotifyReason.New, DeliveryStatus.Pending)],
            await Store.GetNotificationHistoryAsync(alert.Id, CancellationToken.None));
        // Ids keep growing past every id ever used (the deleted console row's included).
        await Notifications(Store).EnqueueDeliveriesAsync(alert.Id, ["email"], NotifyReason.Repeat, Severity.Medium, 9, T0, CancellationToken.None);
        var after = await Store.GetDeliveriesAsync(alert.Id, CancellationToken.None);
        Assert.Equal(before[1].Id + 2, after[^1].Id);
        Assert.Equal(2, after.Count(d => d.Channel == "email"));
    }
}

public abstract partial class StoreContractTests
{
    [Fact]
    public async Task Silences_RowWrittenBeforeOperatorsAndAnUnreadableRow_OldOneStillMatches_BrokenOneMatchesNothing()
    {
        var store = await MigratedAsync();
        var kept = await store.AddSilenceAsync(new NewSilence { RuleName = "ssh_brute_force", StartsAt = T0.AddMinutes(-5), EndsAt = T0.AddHours(2), CreatedBy = "alice", Reason = "old" }, CancellationToken.None);
        var broken = await store.AddSilenceAsync(new NewSilence { RuleName = "ssh_brute_force", StartsAt = T0.AddMinutes(-5), EndsAt = T0.AddHours(2), CreatedBy = "bob", Reason = "edited by hand" }, CancellationToken.None);
        // What the store wrote before matchers had operators, and a row someone broke.
        await ExecuteSqlAsync($"UPDATE {Table("silences")} SET matchers_json = '{{\"source.ip\":\"203.0.113.*\"}}' WHERE id = {kept.Id}");
        await ExecuteSqlAsync($"UPDATE {Table("silences")} SET matchers_json = '[{{\"label\":\"user.name\",\"op\":\"=~\",\"value\":\"(a\"}}]' WHERE id = {broken.Id}");

        var active = await Silences(store).GetActiveSilencesAsync(T0, CancellationToken.None);
        var listed = await store.ListSilencesAsync(activeOnly: false, CancellationToken.None);

        var old = Assert.Single(active);
        Assert.Equal(kept.Id, old.Id);
        Assert.True(old.Matches(Incident("fp-old-1"), HostA, T0));
        Assert.Equal(["source.ip=~203\\.0\\.113\\..*"], old.Matchers.Select(m => m.ToString()));
        var unreadable = listed.Single(s => s.Id == broken.Id);
        Assert.Empty(unreadable.Matchers);
        Assert.Contains("regular expression", unreadable.MatchersError);
    }
}
