using BlueTeam.Alerting;
using BlueTeam.Core.Events;
using BlueTeam.Storage;
using static BlueTeam.Tests.Storage.StoreTestData;

namespace BlueTeam.Tests.Storage;

// Heartbeats, the outbox backlog, silences and acknowledgements.
public abstract partial class StoreContractTests
{
    [Fact]
    public async Task UpsertHeartbeatAsync_TwiceForOneHost_KeepsOneRowWithTheLatestBeat()
    {
        var store = await MigratedAsync();
        var beat = new Heartbeat
        {
            Host = HostA,
            Version = "0.1.0",
            StartedAt = T0,
            LastBeat = T0.AddSeconds(30),
            Uptime = TimeSpan.FromSeconds(30),
            Counters = new Dictionary<string, long> { ["lines_read"] = 120, ["incidents"] = 2 },
            Sources = new Dictionary<string, string> { ["/var/log/auth.log"] = "reading", ["journald"] = "missing: journalctl not found" },
            OutboxBacklog = 3,
        };
        await store.UpsertHeartbeatAsync(beat, CancellationToken.None);
        await store.UpsertHeartbeatAsync(new Heartbeat { Host = HostB, Version = "0.1.0", StartedAt = T0, LastBeat = T0 }, CancellationToken.None);
        var later = beat with { LastBeat = T0.AddSeconds(60), Uptime = TimeSpan.FromSeconds(60), Counters = new Dictionary<string, long> { ["lines_read"] = 180 }, OutboxBacklog = 0 };

        await store.UpsertHeartbeatAsync(later, CancellationToken.None);

        var beats = await store.GetHeartbeatsAsync(CancellationToken.None);
        Assert.Equal([HostB, HostA], beats.Select(b => b.Host));
        var a = beats[1];
        Assert.Equal(T0, a.StartedAt);
        Assert.Equal(T0.AddSeconds(60), a.LastBeat);
        Assert.Equal(TimeSpan.FromSeconds(60), a.Uptime);
        Assert.Equal(new Dictionary<string, long> { ["lines_read"] = 180 }, a.Counters);
        Assert.Equal(beat.Sources, a.Sources);
        Assert.Equal(0, a.OutboxBacklog);
        Assert.Empty(beats[0].Counters);
    }

    [Fact]
    public async Task GetOutboxBacklogAsync_PendingAndFinishedDeliveries_CountsPendingPerChannel()
    {
        var store = await MigratedAsync();
        var first = await store.SaveAlertAsync(Incident("fp-backlog-1"), HostA, ["email", "syslog"], CancellationToken.None);
        Time.Advance(TimeSpan.FromMinutes(1));
        await store.SaveAlertAsync(Incident("fp-backlog-2"), HostA, ["email", "syslog"], CancellationToken.None);
        var email = (await store.GetDeliveriesAsync(first.AlertId, CancellationToken.None)).Single(d => d.Channel == "email");
        await store.RecordDeliveryAttemptAsync(email.Id, DeliveryStatus.Delivered, null, T0, null, CancellationToken.None);

        var backlog = await store.GetOutboxBacklogAsync(CancellationToken.None);

        Assert.Equal([new ChannelBacklog("email", 1, T0.AddMinutes(1)), new ChannelBacklog("syslog", 2, T0)], backlog);
    }

    [Fact]
    public async Task ListSilencesAsync_ActiveOnly_HonoursTheWindowAndExpiry()
    {
        var store = await MigratedAsync();
        var active = await store.AddSilenceAsync(new NewSilence
        {
            RuleName = "ssh_brute_force",
            Matchers = [LabelMatcher.Create(IncidentLabels.SourceIp, MatchOperator.Equal, "203.0.113.0/24"), LabelMatcher.Create(IncidentLabels.Host, MatchOperator.NotEqual, HostA),
                LabelMatcher.Create(IncidentLabels.UserName, MatchOperator.Regex, "svc_.*"), LabelMatcher.Create(IncidentLabels.Severity, MatchOperator.NotRegex, "info|low")],
            StartsAt = T0.AddHours(-1),
            EndsAt = T0.AddHours(1),
            CreatedBy = "alice",
            Reason = "pen test, ticket 4711",
        }, CancellationToken.None);
        var future = await store.AddSilenceAsync(new NewSilence { StartsAt = T0.AddHours(2), EndsAt = T0.AddHours(3), CreatedBy = "bob", Reason = "maintenance" }, CancellationToken.None);
        var ended = await store.AddSilenceAsync(new NewSilence { StartsAt = T0.AddHours(-1), EndsAt = T0.AddHours(5), CreatedBy = "bob", Reason = "oops" }, CancellationToken.None);

        Assert.Equal(SilenceExpiry.Expired, await store.ExpireSilenceAsync(ended.Id, CancellationToken.None));
        Assert.Equal(SilenceExpiry.AlreadyExpired, await store.ExpireSilenceAsync(ended.Id, CancellationToken.None));
        Assert.Equal(SilenceExpiry.NotFound, await store.ExpireSilenceAsync(999_999, CancellationToken.None));

        var activeNow = Assert.Single(await store.ListSilencesAsync(activeOnly: true, CancellationToken.None));
        Assert.Equal(active, activeNow with { Matchers = active.Matchers });
        Assert.Equal(active.Matchers, activeNow.Matchers);
        Assert.Equal("ssh_brute_force", activeNow.RuleName);
        Assert.Equal(T0, activeNow.CreatedAt);
        var all = await store.ListSilencesAsync(activeOnly: false, CancellationToken.None);
        Assert.Equal([active.Id, future.Id, ended.Id], all.Select(s => s.Id));
        Assert.Equal(T0, all[2].ExpiredAt);
        Assert.Null(all[1].RuleName);

        Time.Advance(TimeSpan.FromHours(2.5));
        Assert.Equal([future.Id], (await store.ListSilencesAsync(activeOnly: true, CancellationToken.None)).Select(s => s.Id));
    }

    [Fact]
    public async Task AddSilenceAsync_UnknownMatcherKey_ThrowsArgumentExceptionNamingIt()
    {
        var store = await MigratedAsync();

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => store.AddSilenceAsync(new NewSilence
        {
            Matchers = [LabelMatcher.Create("process.name", MatchOperator.Equal, "sshd")],
            StartsAt = T0,
            EndsAt = T0.AddHours(1),
            CreatedBy = "alice",
            Reason = "x",
        }, CancellationToken.None));

        Assert.Contains("'process.name'", ex.Message);
    }

    [Fact]
    public async Task AddSilenceAsync_EndBeforeStart_ThrowsArgumentException()
    {
        var store = await MigratedAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => store.AddSilenceAsync(
            new NewSilence { StartsAt = T0, EndsAt = T0, CreatedBy = "alice", Reason = "x" }, CancellationToken.None));
    }

    [Fact]
    public async Task AckAlertAsync_Alert_RecordsWhoWhenNoteAndSeverityAndKeepsTheChainIntact()
    {
        var store = await MigratedAsync();
        var saved = await store.SaveAlertAsync(Incident("fp-ack", Severity.High), HostA, [], CancellationToken.None);
        Time.Advance(TimeSpan.FromMinutes(3));

        var triage = await store.AckAlertAsync(saved.AlertId, "alice", "known scanner, blocked at the firewall", CancellationToken.None);
        await store.SaveAlertAsync(Incident("fp-ack", Severity.Critical, eventCount: 50), HostA, [], CancellationToken.None);

        Assert.NotNull(triage);
        Assert.Equal(T0.AddMinutes(3), triage.AckedAt);
        Assert.Equal("alice", triage.AckedBy);
        Assert.Equal("known scanner, blocked at the firewall", triage.AckNote);
        Assert.Equal(Severity.High, triage.AckedSeverity);
        Assert.Equal(triage, await store.GetTriageAsync(saved.AlertId, CancellationToken.None));
        var chain = await VerifyAsync(HostA);
        Assert.True(chain.IsIntact, chain.FirstBreak?.Detail);
        Assert.Equal(3, chain.EntriesChecked);
    }

    [Fact]
    public async Task AckAlertAsync_UnknownAlert_ReturnsNull()
    {
        var store = await MigratedAsync();

        Assert.Null(await store.AckAlertAsync(424242, "alice", null, CancellationToken.None));
        Assert.Null(await store.GetTriageAsync(424242, CancellationToken.None));
    }

    [Fact]
    public async Task VerifyChainAsync_AckEditedBySql_ReportsTheAlertEdited()
    {
        var store = await MigratedAsync();
        var saved = await store.SaveAlertAsync(Incident("fp-ack-forged"), HostA, [], CancellationToken.None);
        await store.AckAlertAsync(saved.AlertId, "alice", null, CancellationToken.None);

        await ExecuteSqlAsync($"UPDATE {Table("alert_history")} SET acked_by = 'bob' WHERE id = {saved.AlertId}");

        var broken = Assert.IsType<ChainBreak>((await VerifyAsync(HostA)).FirstBreak);
        Assert.Equal(ChainBreakKind.AlertEdited, broken.Kind);
        Assert.Contains("acked_by", broken.Detail);
    }

    [Fact]
    public async Task MarkSilencedAsync_Alert_MarksItAndKeepsTheChainIntact()
    {
        var store = await MigratedAsync();
        var silence = await store.AddSilenceAsync(new NewSilence { StartsAt = T0, EndsAt = T0.AddHours(1), CreatedBy = "alice", Reason = "drill" }, CancellationToken.None);
        var saved = await store.SaveAlertAsync(Incident("fp-silenced"), HostA, [], CancellationToken.None);

        Assert.True(await store.MarkSilencedAsync(saved.AlertId, silence.Id, CancellationToken.None));
        Assert.False(await store.MarkSilencedAsync(424242, silence.Id, CancellationToken.None));

        var triage = await store.GetTriageAsync(saved.AlertId, CancellationToken.None);
        Assert.True(triage?.IsSilenced);
        Assert.Equal(silence.Id, triage?.SilenceId);
        Assert.False(triage?.IsAcked);
        Assert.True((await VerifyAsync(HostA)).IsIntact);
    }
}
