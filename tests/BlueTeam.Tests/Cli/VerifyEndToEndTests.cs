using System.Text.Json;
using BlueTeam.Storage;
using BlueTeam.Tests.Storage;
using BlueTeam.Tests.Support;
using Microsoft.Data.Sqlite;

namespace BlueTeam.Tests.Cli;

/// <summary>`blueteam verify` run as a process over a SQLite history the test writes and then tampers with.</summary>
public class VerifyEndToEndTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string DatabasePath => _dir.File("blueteam.db");

    private async Task<(string Config, long FirstAlertId)> SeedAsync()
    {
        long firstId;
        await using (var store = new SqliteStore(DatabasePath))
        {
            await store.MigrateAsync(CancellationToken.None);
            firstId = (await store.SaveAlertAsync(StoreTestData.Incident("fp-e2e-1"), "eqmon-web01", ["syslog"], CancellationToken.None)).AlertId;
            await store.SaveAlertAsync(StoreTestData.Incident("fp-e2e-2", ruleName: "sudo_abuse"), "eqmon-web01", ["syslog"], CancellationToken.None);
            await store.SaveAlertAsync(StoreTestData.Incident("fp-e2e-1", eventCount: 9), "eqmon-web01", ["syslog"], CancellationToken.None);
        }
        var config = _dir.File("blueteam.yaml");
        await File.WriteAllTextAsync(config, $"database: {{driver: sqlite, path: {DatabasePath}}}\n");
        return (config, firstId);
    }

    [Fact]
    public async Task Verify_IntactHistory_PrintsOkAndExitsZero()
    {
        var (config, _) = await SeedAsync();

        var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["--config", config, "verify"]);

        Assert.True(exit == 0, stderr);
        Assert.Contains("eqmon-web01", stdout);
        Assert.Contains("OK", stdout);
        Assert.Contains("3", stdout);
    }

    [Fact]
    public async Task Verify_TitleEditedBySql_NamesTheAlertAndExitsOne()
    {
        var (config, firstId) = await SeedAsync();
        await using (var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "UPDATE alert_history SET title = 'nothing happened' WHERE id = @id";
            command.Parameters.AddWithValue("@id", firstId);
            await command.ExecuteNonQueryAsync();
        }

        var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["--config", config, "verify", "--host", "eqmon-web01", "--format", "json"]);

        Assert.True(exit == 1, $"exit {exit}\n{stdout}\n{stderr}");
        var host = Assert.Single(JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToList());
        Assert.False(host.GetProperty("intact").GetBoolean());
        Assert.Equal(3, host.GetProperty("entries_checked").GetInt64());
        var broken = host.GetProperty("first_break");
        Assert.Equal("alert_edited", broken.GetProperty("kind").GetString());
        Assert.Equal(firstId, broken.GetProperty("alert_id").GetInt64());
        Assert.Contains("title", broken.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Verify_ChainEntryDeletedBySql_ReportsTheGapAndExitsOne()
    {
        var (config, _) = await SeedAsync();
        await using (var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM alert_chain WHERE seq = 2";
            await command.ExecuteNonQueryAsync();
        }

        var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["--config", config, "verify"]);

        Assert.True(exit == 1, $"exit {exit}\n{stdout}\n{stderr}");
        Assert.Contains("BROKEN", stdout);
        Assert.Contains("gap", stdout);
    }
}
