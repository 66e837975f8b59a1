using BlueTeam.Sources;
using BlueTeam.Storage;
using BlueTeam.Storage.Fleet;
using static BlueTeam.Tests.Storage.StoreTestData;

namespace BlueTeam.Tests.Storage.Fleet;

/// <summary>
/// Checkpoints per host (migration 12): before it, two hosts tailing the same collector and path
/// shared one row, and each resumed from the other's offset.
/// </summary>
public sealed class RolesCheckpointTests : IAsyncLifetime
{
    private readonly string _sqliteDirectory = Path.Combine(Path.GetTempPath(), "blueteam-roles-" + Guid.NewGuid().ToString("N"));
    private RolesDatabase? _db;

    private RolesDatabase Db => _db ?? throw new InvalidOperationException("not initialized");

    public async Task InitializeAsync()
    {
        _db = await RolesDatabase.CreateAsync();
        Directory.CreateDirectory(_sqliteDirectory);
    }

    public async Task DisposeAsync()
    {
        if (_db is not null) await _db.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_sqliteDirectory, recursive: true);
    }

    private static Checkpoint At(long offset) => new("auth_log", "/var/log/auth.log", new FileIdentity(8, 1234, "abcd"), offset, T0);

    private static async Task AssertBothKeptAsync(ICheckpointStore a, ICheckpointStore b)
    {
        await a.SaveCheckpointsAsync([At(4096)], CancellationToken.None);
        await b.SaveCheckpointsAsync([At(128)], CancellationToken.None);
        await a.SaveCheckpointsAsync([At(8192)], CancellationToken.None);

        Assert.Equal(8192, Assert.Single(await a.GetCheckpointsAsync("auth_log", CancellationToken.None)).Offset);
        Assert.Equal(128, Assert.Single(await b.GetCheckpointsAsync("auth_log", CancellationToken.None)).Offset);
    }

    [Fact]
    public async Task TwoHostRoles_SameCollectorAndPath_EachKeepsItsOwnOffset()
    {
        var hostA = await Db.AddAsync(FleetRoleKind.Host, RolesDatabase.UniqueName("a"));
        var hostB = await Db.AddAsync(FleetRoleKind.Host, RolesDatabase.UniqueName("b"));
        await using var a = RolesDatabase.StoreAs(hostA);
        await using var b = RolesDatabase.StoreAs(hostB);

        await AssertBothKeptAsync(HostCheckpointStore.For(a, hostA.Name), HostCheckpointStore.For(b, hostB.Name));

        Assert.Equal(2, await RolesDatabase.ScalarAsync(Db.OwnerConnectionString, "SELECT count(*) FROM blueteam.checkpoints"));
    }

    [Fact]
    public async Task TwoHostsOnTheOwnersConnection_SameCollectorAndPath_EachKeepsItsOwnOffset()
    {
        await using var store = Db.OwnerStore();

        await AssertBothKeptAsync(HostCheckpointStore.For(store, "web01"), HostCheckpointStore.For(store, "web02"));
    }

    [Fact]
    public async Task TwoHostsOnOneSqliteFile_SameCollectorAndPath_EachKeepsItsOwnOffset()
    {
        await using var store = new SqliteStore(Path.Combine(_sqliteDirectory, "shared.db"));
        await store.MigrateAsync(CancellationToken.None);

        await AssertBothKeptAsync(HostCheckpointStore.For(store, "web01"), HostCheckpointStore.For(store, "web02"));
    }

    [Fact]
    public async Task Upgrade_CheckpointsFromBeforeVersion12_TakenOverByTheFirstHostThatReadsThem()
    {
        await using var store = new SqliteStore(Path.Combine(_sqliteDirectory, "old.db"));
        await store.MigrateAsync(11, CancellationToken.None);
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_sqliteDirectory, "old.db")}"))
        {
            await connection.OpenAsync();
            await using var insert = connection.CreateCommand();
            insert.CommandText = """
                INSERT INTO checkpoints (collector, path, device, inode, head_hash, "offset", updated_at, replay_from)
                VALUES ('auth_log', '/var/log/auth.log', 8, 1234, 'abcd', 4096, '2026-03-10T08:30:00.0000000Z', 1024)
                """;
            await insert.ExecuteNonQueryAsync();
        }

        await store.MigrateAsync(CancellationToken.None);
        var mine = await HostCheckpointStore.For(store, "web01").GetCheckpointsAsync("auth_log", CancellationToken.None);
        var theirs = await HostCheckpointStore.For(store, "web02").GetCheckpointsAsync("auth_log", CancellationToken.None);

        var taken = Assert.Single(mine);
        Assert.Equal((4096L, 1024L, 1234UL), (taken.Offset, taken.ReplayFrom, taken.File.Inode));
        Assert.Empty(theirs);
        Assert.Empty(await store.GetCheckpointsAsync("auth_log", CancellationToken.None)); // nothing left under no host
    }
}
