using System.Text.Json;
using BlueTeam.Core.Config;
using BlueTeam.Storage;
using BlueTeam.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using static BlueTeam.Tests.Storage.StoreTestData;

namespace BlueTeam.Tests.Cli;

/// <summary>
/// Retention through the built binary on a real SQLite file: `db prune` by hand and the daemon's own prune remove
/// the incidents older than the period, `verify` still exits 0 and names the prune, and the same history with the
/// prune's record removed fails.
/// </summary>
public sealed class RetentionEndToEndTests : IDisposable
{
    private const string Host = "retention-e2e";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string DatabasePath => _dir.File("db/blueteam.db");

    private string WriteConfig(int days)
    {
        var log = _dir.File("auth.log");
        File.WriteAllText(log, "");
        var config = _dir.File($"blueteam-{days}.yaml");
        File.WriteAllText(config, $"""
            host: {Host}
            database: {"{"}driver: sqlite, path: {DatabasePath}{"}"}
            storage:
              sealing: {"{"}state_path: {_dir.File("keys/sealing.state")}{"}"}
              retention: {"{"}days: {days}{"}"}
            monitoring: {"{"}poll_interval_sec: 1{"}"}
            collectors:
              auth_log: {"{"}type: auth, paths: [{log}]{"}"}
            alerting:
              console: {"{"}enabled: false{"}"}
              email: {"{"}enabled: false{"}"}
              syslog: {"{"}enabled: false, send_chain_head: false{"}"}
            """);
        return config;
    }

    /// <summary>Three incidents stored 60 days ago and one yesterday, through the store's own code with its clock set back.</summary>
    private async Task SeedAsync()
    {
        var now = DateTimeOffset.UtcNow;
        var clock = new FakeTimeProvider(now.AddDays(-60));
        await using var store = StoreFactory.Create(new DatabaseOptions { Driver = DatabaseDriver.Sqlite, Path = DatabasePath }, clock);
        await store.MigrateAsync(CancellationToken.None);
        for (var i = 1; i <= 3; i++)
            await store.SaveAlertAsync(Incident($"old-{i}", host: Host, firstSeen: clock.GetUtcNow(), title: $"old incident {i}"), Host, [], CancellationToken.None);
        clock.Advance(TimeSpan.FromDays(59));
        await store.SaveAlertAsync(Incident("young", host: Host, firstSeen: clock.GetUtcNow(), title: "young incident"), Host, [], CancellationToken.None);
    }

    [Fact]
    public async Task DbPrune_RemovesWhatIsOlderThanThePeriod_AndVerifyStillPasses_UntilThePruneRecordIsRemoved()
    {
        await SeedAsync();
        var config = WriteConfig(days: 30);

        var (dryExit, dryOut, dryErr) = await BlueTeamProcess.RunAsync(["--config", config, "db", "prune", "--dry-run"]);
        Assert.True(dryExit == 0, dryErr);
        Assert.Contains($"{Host}: would prune 3 incidents, 3 chain entries (up to 3)", dryOut);

        var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["--config", config, "db", "prune"]);
        Assert.True(exit == 0, stderr);
        Assert.Contains($"{Host}: pruned 3 incidents, 3 chain entries (up to 3)", stdout);
        var (againExit, again, _) = await BlueTeamProcess.RunAsync(["--config", config, "db", "prune"]);
        Assert.Equal(0, againExit);
        Assert.Contains("nothing older than 30 days to prune", again);

        var (verifyExit, verifyOut, verifyErr) = await BlueTeamProcess.RunAsync(["--config", config, "verify"]);
        Assert.True(verifyExit == 0, verifyOut + verifyErr);
        Assert.Contains($"{Host}: retention: entries up to 3 pruned", verifyOut);
        var (_, json, _) = await BlueTeamProcess.RunAsync(["--config", config, "verify", "--format", "json"]);
        var host = JsonDocument.Parse(json).RootElement.EnumerateArray().Single(h => h.GetProperty("host").GetString() == Host);
        Assert.True(host.GetProperty("intact").GetBoolean());
        Assert.Equal(3, host.GetProperty("pruned").GetProperty("through_seq").GetInt64());
        Assert.Equal(2, host.GetProperty("entries_checked").GetInt64()); // the young incident and the prune's record

        var (listExit, list, _) = await BlueTeamProcess.RunAsync(["--config", config, "alerts", "list", "--format", "json"]);
        Assert.Equal(0, listExit);
        Assert.Contains("young incident", list);
        Assert.DoesNotContain("old incident", list);

        await using (var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var delete = connection.CreateCommand();
            delete.CommandText = "DELETE FROM chain_prunes";
            await delete.ExecuteNonQueryAsync();
        }
        var (tamperedExit, tampered, _) = await BlueTeamProcess.RunAsync(["--config", config, "verify"]);
        Assert.Equal(1, tamperedExit);
        Assert.Contains("missing", tampered);
    }

    [Fact]
    public async Task DbPrune_WithRetentionOff_AndNoDays_IsAUsageError()
    {
        var config = WriteConfig(days: 0);
        var (exit, _, stderr) = await BlueTeamProcess.RunAsync(["--config", config, "db", "prune"]);
        Assert.Equal(2, exit);
        Assert.Contains("retention is off", stderr);
        var (badExit, _, badErr) = await BlueTeamProcess.RunAsync(["--config", config, "db", "prune", "--days", "0"]);
        Assert.Equal(2, badExit);
        Assert.Contains("--days must be between 1 and 36500", badErr);
    }

    [Fact]
    public async Task Daemon_PrunesSoonAfterItStarts_AndTheHistoryStillVerifies()
    {
        await SeedAsync();
        var config = WriteConfig(days: 30);

        using (var daemon = BlueTeamProcess.Start(["--config", config, "monitor", "--no-dashboard"]))
        {
            await daemon.WaitForOutputAsync("Retention (30 days): entries up to 3 pruned", TimeSpan.FromSeconds(40));
            daemon.Signal(BlueTeamProcess.SIGTERM);
            Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }

        var (verifyExit, verifyOut, verifyErr) = await BlueTeamProcess.RunAsync(["--config", config, "verify"]);
        Assert.True(verifyExit == 0, verifyOut + verifyErr);
        Assert.Contains("retention: entries up to 3 pruned", verifyOut);
    }
}
