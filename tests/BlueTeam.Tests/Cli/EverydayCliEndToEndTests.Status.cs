using BlueTeam.Storage;

namespace BlueTeam.Tests.Cli;

// blueteam status
public abstract partial class EverydayCliEndToEndTests
{
    private Task BeatAsync(string host, TimeSpan ago, IReadOnlyDictionary<string, string>? sources = null) =>
        Store.UpsertHeartbeatAsync(new Heartbeat
        {
            Host = host,
            Version = "0.3.0-test",
            StartedAt = DateTimeOffset.UtcNow.AddHours(-2),
            LastBeat = DateTimeOffset.UtcNow - ago,
            Uptime = TimeSpan.FromHours(2),
            Counters = new Dictionary<string, long> { ["lines_read"] = 12345, ["incidents"] = 7 },
            Sources = sources ?? new Dictionary<string, string> { ["auth_log:/var/log/auth.log"] = "reading" },
            OutboxBacklog = 1,
        }, CancellationToken.None);

    [Fact]
    public async Task Status_FreshHeartbeat_ExitsZeroWithCountersSourcesAndBacklogPerChannel()
    {
        await BeatAsync(ThisHost, TimeSpan.FromSeconds(1));
        await SaveAsync(Recent("fp-status-1", TimeSpan.FromMinutes(1)), ThisHost, "email", "syslog");

        var json = await RunAsync("status", "--format", "json");
        var table = await RunAsync("status");

        Assert.True(json.ExitCode == 0, Why(json));
        var root = Json(json.Stdout);
        Assert.True(root.GetProperty("ok").GetBoolean());
        Assert.Equal(15, root.GetProperty("fresh_threshold_sec").GetInt64());
        var host = Assert.Single(root.GetProperty("hosts").EnumerateArray().ToList());
        Assert.Equal(ThisHost, host.GetProperty("host").GetString());
        Assert.Equal("ok", host.GetProperty("state").GetString());
        Assert.Equal("0.3.0-test", host.GetProperty("version").GetString());
        Assert.Equal(7200, host.GetProperty("uptime_sec").GetInt64());
        Assert.Equal(12345, host.GetProperty("counters").GetProperty("lines_read").GetInt64());
        Assert.Equal("reading", host.GetProperty("sources")[0].GetProperty("state").GetString());
        Assert.Equal(["email:1", "syslog:1"], root.GetProperty("outbox").EnumerateArray().Select(c => $"{c.GetProperty("channel").GetString()}:{c.GetProperty("pending").GetInt64()}"));
        Assert.True(table.ExitCode == 0, Why(table));
        Assert.Contains(ThisHost, table.Stdout);
        Assert.Contains("12,345", table.Stdout);
        Assert.Contains("auth_log:/var/log/auth.log", table.Stdout);
        Assert.Contains("email", table.Stdout);
    }

    [Fact]
    public async Task Status_NoHeartbeatForThisHost_ExitsOneSayingTheDaemonIsDown()
    {
        await BeatAsync(OtherHost, TimeSpan.FromSeconds(1));

        var r = await RunAsync("status");

        Assert.True(r.ExitCode == 1, Why(r));
        Assert.Contains($"{ThisHost}: daemon down: no heartbeat", r.Stderr);
        Assert.Contains("down", r.Stdout);
    }

    [Fact]
    public async Task Status_StaleHeartbeat_ExitsOneUnlessMaxAgeAllowsIt()
    {
        await BeatAsync(ThisHost, TimeSpan.FromMinutes(10));

        var stale = await RunAsync("status", "--format", "json");
        var allowed = await RunAsync("status", "--max-age", "3600");

        Assert.True(stale.ExitCode == 1, Why(stale));
        Assert.Equal("stale", Json(stale.Stdout).GetProperty("hosts")[0].GetProperty("state").GetString());
        Assert.Contains("last heartbeat 10m", stale.Stderr);
        Assert.True(allowed.ExitCode == 0, Why(allowed));
    }

    [Fact]
    public async Task Status_FailingSource_ExitsOneNamingTheSource()
    {
        await BeatAsync(ThisHost, TimeSpan.FromSeconds(1), new Dictionary<string, string>
        {
            ["auth_log:/var/log/auth.log"] = "reading",
            ["journald"] = "missing: journalctl not found",
        });

        var r = await RunAsync("status", "--format", "json");

        Assert.True(r.ExitCode == 1, Why(r));
        var host = Json(r.Stdout).GetProperty("hosts")[0];
        Assert.Equal("degraded", host.GetProperty("state").GetString());
        Assert.Contains("source journald is failing: missing: journalctl not found", r.Stderr);
    }

    [Fact]
    public async Task StatusAll_OneHostStale_ListsEveryHostAndExitsOne()
    {
        await BeatAsync(ThisHost, TimeSpan.FromSeconds(1));
        await BeatAsync(OtherHost, TimeSpan.FromHours(1));

        var r = await RunAsync("status", "--all", "--format", "json");
        var fresh = await RunAsync("status");

        Assert.True(r.ExitCode == 1, Why(r));
        Assert.Equal([$"{OtherHost}:stale", $"{ThisHost}:ok"],
            Json(r.Stdout).GetProperty("hosts").EnumerateArray().Select(h => $"{h.GetProperty("host").GetString()}:{h.GetProperty("state").GetString()}"));
        Assert.Contains(OtherHost, r.Stderr);
        Assert.True(fresh.ExitCode == 0, Why(fresh));
    }
}
