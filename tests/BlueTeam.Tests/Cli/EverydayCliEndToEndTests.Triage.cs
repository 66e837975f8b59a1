using BlueTeam.Alerting;
using BlueTeam.Core.Events;
using BlueTeam.Storage;

namespace BlueTeam.Tests.Cli;

// blueteam alerts show/ack, incidents list/show, silence add/list/expire
public abstract partial class EverydayCliEndToEndTests
{
    [Fact]
    public async Task AlertsAck_ThenShow_RecordsTheAckAndShowsEvidenceDeliveriesAndChain()
    {
        var id = await SaveAsync(Recent("fp-ack-1", TimeSpan.FromMinutes(5)), ThisHost, "email", "syslog");
        var email = (await Store.GetDeliveriesAsync(id, CancellationToken.None)).Single(d => d.Channel == "email");
        await Store.RecordDeliveryAttemptAsync(email.Id, DeliveryStatus.Failed, "550 mailbox unavailable", DateTimeOffset.UtcNow, null, CancellationToken.None);

        var ack = await RunAsync("alerts", "ack", id.ToString(), "--by", "alice", "--note", "blocked at the firewall");
        var json = await RunAsync("alerts", "show", id.ToString(), "--format", "json");
        var table = await RunAsync("alerts", "show", id.ToString());

        Assert.True(ack.ExitCode == 0, Why(ack));
        Assert.Contains("acknowledged alert", ack.Stdout);
        var triage = await Store.GetTriageAsync(id, CancellationToken.None);
        Assert.Equal("alice", triage!.AckedBy);
        Assert.Equal("blocked at the firewall", triage.AckNote);
        Assert.Equal(Severity.High, triage.AckedSeverity);

        Assert.True(json.ExitCode == 0, Why(json));
        var a = Json(json.Stdout);
        Assert.Equal(id, a.GetProperty("id").GetInt64());
        Assert.Equal("acked", a.GetProperty("triage").GetString());
        Assert.Equal("alice", a.GetProperty("ack").GetProperty("by").GetString());
        Assert.Equal("high", a.GetProperty("ack").GetProperty("severity").GetString());
        Assert.Equal(["created", "acked"], a.GetProperty("chain").EnumerateArray().Select(c => c.GetProperty("kind").GetString()));
        Assert.Equal([1L, 2L], a.GetProperty("chain").EnumerateArray().Select(c => c.GetProperty("seq").GetInt64()));
        Assert.Equal(["email:failed", "syslog:pending"], a.GetProperty("deliveries").EnumerateArray().Select(d => $"{d.GetProperty("channel").GetString()}:{d.GetProperty("status").GetString()}"));
        Assert.Equal("550 mailbox unavailable", a.GetProperty("deliveries")[0].GetProperty("last_error").GetString());
        var evidence = Assert.Single(a.GetProperty("evidence").EnumerateArray().ToList());
        Assert.Equal("ssh_login", evidence.GetProperty("event").GetProperty("action").GetString());

        Assert.True(table.ExitCode == 0, Why(table));
        Assert.Contains("blocked at the firewall", table.Stdout);
        Assert.Contains("#2 acked", table.Stdout);
        Assert.Contains("550 mailbox unavailable", table.Stdout);
        Assert.Contains("Failed password for root", table.Stdout);
    }

    [Fact]
    public async Task AlertsAckAndShow_UnknownId_ExitOne()
    {
        var ack = await RunAsync("alerts", "ack", "4242", "--by", "alice");
        var show = await RunAsync("alerts", "show", "4242");

        Assert.True(ack.ExitCode == 1, Why(ack));
        Assert.Contains("no alert with id 4242", ack.Stderr);
        Assert.True(show.ExitCode == 1, Why(show));
        Assert.Contains("no incident with id 4242", show.Stderr);
    }

    [Fact]
    public async Task IncidentsList_EveryIncidentWithTriage_AndFiltersBySinceSeverityRuleAndHost()
    {
        var info = await SaveAsync(Recent("fp-inc-info", TimeSpan.FromHours(1), Severity.Info, ruleName: "session_opened"));
        var acked = await SaveAsync(Recent("fp-inc-acked", TimeSpan.FromHours(2), Severity.High), ThisHost, "email");
        var silenced = await SaveAsync(Recent("fp-inc-silenced", TimeSpan.FromHours(3), Severity.Medium, ruleName: "sudo_abuse"), OtherHost, "syslog");
        var old = await SaveAsync(Recent("fp-inc-old", TimeSpan.FromDays(3), Severity.Critical));
        await Store.AckAlertAsync(acked, "alice", null, CancellationToken.None);
        var silence = await Store.AddSilenceAsync(new NewSilence { RuleName = "sudo_abuse", StartsAt = DateTimeOffset.UtcNow.AddHours(-4), EndsAt = DateTimeOffset.UtcNow.AddHours(1), CreatedBy = "bob", Reason = "patching" }, CancellationToken.None);
        await Store.MarkSilencedAsync(silenced, silence.Id, CancellationToken.None);

        var all = await RunAsync("incidents", "list", "--format", "json");
        var since = await RunAsync("incidents", "list", "--since", "24h", "--format", "json");
        var severe = await RunAsync("incidents", "list", "--severity", "high", "--format", "json");
        var rule = await RunAsync("incidents", "list", "--rule", "sudo_abuse", "--format", "json");
        var host = await RunAsync("incidents", "list", "--host", OtherHost, "--format", "json");
        var table = await RunAsync("incidents", "list");
        var show = await RunAsync("incidents", "show", silenced.ToString(), "--format", "json");

        static IEnumerable<string> Rows(string stdout) => Json(stdout).EnumerateArray().Select(e => $"{e.GetProperty("id").GetInt64()}:{e.GetProperty("triage").GetString()}");
        Assert.True(all.ExitCode == 0, Why(all));
        Assert.Equal([$"{info}:open", $"{acked}:acked", $"{silenced}:silenced", $"{old}:open"], Rows(all.Stdout));
        Assert.Equal([$"{info}:open", $"{acked}:acked", $"{silenced}:silenced"], Rows(since.Stdout));
        Assert.Equal([$"{acked}:acked", $"{old}:open"], Rows(severe.Stdout));
        Assert.Equal([$"{silenced}:silenced"], Rows(rule.Stdout));
        Assert.Equal([$"{silenced}:silenced"], Rows(host.Stdout));
        Assert.True(table.ExitCode == 0, Why(table));
        Assert.Contains("silenced", table.Stdout);
        Assert.Contains("session_opened", table.Stdout);
        Assert.True(show.ExitCode == 0, Why(show));
        Assert.Equal(silence.Id, Json(show.Stdout).GetProperty("silence_id").GetInt64());
    }

    [Fact]
    public async Task IncidentsList_BadSinceOrSeverity_ExitsTwo()
    {
        var since = await RunAsync("incidents", "list", "--since", "yesterday-ish");
        var severity = await RunAsync("incidents", "list", "--severity", "urgent");

        Assert.True(since.ExitCode == 2, Why(since));
        Assert.Contains("--since", since.Stderr);
        Assert.True(severity.ExitCode == 2, Why(severity));
    }

    [Fact]
    public async Task Silence_AddListExpire_RoundTripsThroughTheStore()
    {
        var add = await RunAsync("silence", "add", "--rule", "ssh_brute_force", "--match", "source.ip=203.0.113.7", "--match", "user.name=root",
            "--duration", "2h", "--reason", "pen test by ACME", "--by", "carol");
        var active = await RunAsync("silence", "list", "--format", "json");
        var stored = Assert.Single(await Store.ListSilencesAsync(activeOnly: true, CancellationToken.None));
        var expire = await RunAsync("silence", "expire", stored.Id.ToString());
        var again = await RunAsync("silence", "expire", stored.Id.ToString());
        var afterActive = await RunAsync("silence", "list", "--format", "json");
        var afterAll = await RunAsync("silence", "list", "--all");
        var unknown = await RunAsync("silence", "expire", "9999");

        Assert.True(add.ExitCode == 0, Why(add));
        Assert.Contains($"silence {stored.Id} added", add.Stdout);
        // --rule is now the matcher rule=NAME (with the others, on any label); the rule_name column is for silences stored before.
        Assert.Null(stored.RuleName);
        Assert.Equal(["rule=ssh_brute_force", "source.ip=203.0.113.7", "user.name=root"], stored.Matchers.Select(m => m.ToString()));
        Assert.Equal("carol", stored.CreatedBy);
        Assert.InRange(stored.EndsAt - stored.StartsAt, TimeSpan.FromHours(2) - TimeSpan.FromSeconds(1), TimeSpan.FromHours(2) + TimeSpan.FromSeconds(1));
        var listed = Assert.Single(Json(active.Stdout).EnumerateArray().ToList());
        Assert.Equal("active", listed.GetProperty("state").GetString());
        Assert.Equal(["rule=ssh_brute_force", "source.ip=203.0.113.7", "user.name=root"],
            listed.GetProperty("matchers").EnumerateArray().Select(m => m.GetProperty("label").GetString() + m.GetProperty("op").GetString() + m.GetProperty("value").GetString()));
        Assert.Equal("pen test by ACME", listed.GetProperty("reason").GetString());
        Assert.True(expire.ExitCode == 0, Why(expire));
        Assert.Contains("expired", expire.Stdout);
        Assert.True(again.ExitCode == 0, Why(again));
        Assert.Contains("already expired", again.Stdout);
        Assert.Empty(Json(afterActive.Stdout).EnumerateArray());
        Assert.Contains("expired", afterAll.Stdout);
        Assert.Contains("pen test by ACME", afterAll.Stdout);
        Assert.True(unknown.ExitCode == 1, Why(unknown));
    }

    [Theory]
    [InlineData("--duration", "2 hours", "--duration")]
    [InlineData("--match", "process.name=sshd", "process.name")]
    [InlineData("--match", "source.ip", "label=value")]
    public async Task SilenceAdd_InvalidValue_ExitsTwoAndStoresNothing(string option, string value, string expected)
    {
        string[] args = option == "--duration"
            ? ["silence", "add", "--rule", "r", "--reason", "x", "--duration", value]
            : ["silence", "add", "--rule", "r", "--reason", "x", "--duration", "1h", option, value];

        var r = await RunAsync(args);

        Assert.True(r.ExitCode == 2, Why(r));
        Assert.Contains(expected, r.Stderr);
        Assert.Empty(await Store.ListSilencesAsync(activeOnly: false, CancellationToken.None));
    }
}
