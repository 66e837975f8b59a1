using BlueTeam.Alerting;
using BlueTeam.Core.Events;
using BlueTeam.Storage;
using Npgsql;
using static BlueTeam.Tests.Storage.StoreTestData;

namespace BlueTeam.Tests.Storage;

/// <summary>
/// A batch of new alerts on PostgreSQL draws its ids and links them before it inserts; another session that stores one
/// of the same fingerprints in between must not leave a chain whose links skip a row.
/// </summary>
public sealed class PostgresConcurrentSaveTests : IAsyncLifetime
{
    private const string HostA = "eqmon-web01";
    private readonly string _database = "blueteam_test_" + Guid.NewGuid().ToString("N");
    private string _server = "";
    private string _test = "";

    public async Task InitializeAsync()
    {
        _server = PostgresStoreContractTests.ServerConnectionString();
        await ExecuteAsync(_server, $"CREATE DATABASE \"{_database}\""); // the name is ours: a prefix and hex digits
        _test = new NpgsqlConnectionStringBuilder(_server) { Database = _database }.ToString();
    }

    public Task DisposeAsync() => ExecuteAsync(_server, $"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)");

    [Fact]
    public async Task SaveAlertsAsync_AnotherSessionStoresOneOfTheNewFingerprintsMeanwhile_TheBatchIsSavedAgainWithThatOneUpdated()
    {
        await using var store = PostgresStore.Create(_test, TimeProvider.System);
        await store.MigrateAsync(CancellationToken.None);
        var batch = new[] { Save("fp-race-1"), Save("fp-race-2"), Save("fp-race-3") };

        // The other session's row is not committed yet: the batch does not see it when it draws its ids, and its
        // insert waits on the unique index until the other session commits.
        await using var other = new NpgsqlConnection(_test);
        await other.OpenAsync();
        await using var transaction = await other.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO blueteam.alert_history (fingerprint, host, rule_id, rule_name, severity, title, description, detected_by,
                nist_controls, cui_involved, event_count, first_seen, last_seen, created_at, updated_at, incident_json)
            VALUES ('fp-race-2', 'eqmon-web02', 'BT-X', 'x', 'low', 'x', 'x', 'x', '', false, 1, now(), now(), now(), now(), @json)
            """, other, transaction))
        {
            insert.Parameters.AddWithValue("json", EcsJson.Serialize(Incident("fp-race-2")));
            await insert.ExecuteNonQueryAsync();
        }
        var saving = store.SaveAlertsAsync(batch, CancellationToken.None);
        await WaitUntilASessionWaitsOnALockAsync();
        await transaction.CommitAsync();

        // The batch's transaction is given up whole and saved again: the known fingerprint is now an update.
        var results = await saving;
        Assert.Equal([true, false, true], results.Select(r => r.IsNew));
        // The other row took id 1 and the given-up attempt drew 2-4 (a sequence never gives back): the batch did race.
        Assert.True(results[0].AlertId > 4, $"fp-race-1 has id {results[0].AlertId}: the batch never met the other session's row");
        Assert.Equal(["fp-race-1", "fp-race-2", "fp-race-3"],
            (await store.ListAlertsAsync(new AlertQuery(), CancellationToken.None)).Select(a => a.Fingerprint).Order());
        var chain = Assert.Single(await store.VerifyChainAsync(HostA, CancellationToken.None));
        Assert.True(chain.IsIntact, chain.FirstBreak?.Detail);
    }

    private static AlertSaveRequest Save(string fingerprint) => new(Incident(fingerprint), HostA, ["syslog"]);

    private async Task WaitUntilASessionWaitsOnALockAsync()
    {
        await using var watcher = new NpgsqlConnection(_test);
        await watcher.OpenAsync();
        for (var i = 0; i < 300; i++)
        {
            await using var query = new NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'", watcher);
            if ((long)(await query.ExecuteScalarAsync())! > 0) return;
            await Task.Delay(100);
        }
        throw new TimeoutException("the batch never waited on the other session's row");
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
