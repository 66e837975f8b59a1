using System.Runtime.Versioning;
using BlueTeam.Core.Config;
using BlueTeam.Storage;
using Microsoft.Data.Sqlite;

namespace BlueTeam.Tests.Storage;

/// <summary>The store contract against a SQLite file in a fresh temporary directory, plus what only SQLite has: the file itself.</summary>
[UnsupportedOSPlatform("windows")] // file modes are Unix's; blueteam runs on Linux
public sealed class SqliteStoreContractTests : StoreContractTests
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "blueteam-store-" + Guid.NewGuid().ToString("N"));

    // A directory that does not exist yet, so the store has to create it.
    private string DatabasePath => Path.Combine(_root, "state", "blueteam.db");

    protected override Task<IBlueTeamStore> CreateStoreAsync(TimeProvider timeProvider) =>
        Task.FromResult<IBlueTeamStore>(new SqliteStore(DatabasePath, timeProvider));

    protected override IBlueTeamStore OpenSameDatabase(TimeProvider timeProvider) => new SqliteStore(DatabasePath, timeProvider);

    protected override async Task ExecuteSqlAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    protected override string Table(string name) => name;

    protected override Task EmptyAlertTablesAsync() => ExecuteSqlAsync("""
        DELETE FROM alert_chain;
        DELETE FROM alert_deliveries;
        DELETE FROM alert_history;
        DELETE FROM sqlite_sequence WHERE name IN ('alert_history', 'alert_deliveries');
        """);

    protected override Task RejectDeliveriesToChannelNamedRejectedAsync() => ExecuteSqlAsync("""
        CREATE TRIGGER reject_channel BEFORE INSERT ON alert_deliveries
        WHEN NEW.channel = 'rejected'
        BEGIN SELECT RAISE(ABORT, 'the test refuses deliveries to channel rejected'); END;
        """);

    // Tests run as root, so file modes cannot lock the store out; a file where its directory was
    // makes every new connection fail, and moving the directory back restores it untouched.
    protected override async Task BreakStoreAsync()
    {
        SqliteConnection.ClearAllPools(); // pooled connections would keep the moved file open
        Directory.Move(Path.GetDirectoryName(DatabasePath)!, Path.Combine(_root, "state.away"));
        await File.WriteAllTextAsync(Path.GetDirectoryName(DatabasePath)!, "not a directory");
    }

    protected override Task RestoreStoreAsync()
    {
        File.Delete(Path.GetDirectoryName(DatabasePath)!);
        Directory.Move(Path.Combine(_root, "state.away"), Path.GetDirectoryName(DatabasePath)!);
        return Task.CompletedTask;
    }

    protected override Task DropDatabaseAsync()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task MigrateAsync_NewFile_CreatesItOwnerOnlyInOwnerOnlyDirectory()
    {
        await Store.MigrateAsync(CancellationToken.None);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(DatabasePath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(DatabasePath)!));
    }

    [Fact]
    public async Task SaveAlertAsync_WalFiles_AreOwnerOnlyToo()
    {
        await Store.MigrateAsync(CancellationToken.None);
        await Store.SaveAlertAsync(StoreTestData.Incident("fp-wal"), "eqmon-web01", ["syslog"], CancellationToken.None);

        var wal = DatabasePath + "-wal";
        Assert.True(File.Exists(wal), "WAL mode writes a -wal file next to the database");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(wal));
    }

    [Fact]
    public async Task MigrateAsync_NewFile_LeavesItInWalMode()
    {
        await Store.MigrateAsync(CancellationToken.None);

        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", await command.ExecuteScalarAsync());
    }

    [Fact]
    public void Description_IsSqliteAndTheAbsolutePath()
    {
        Assert.Equal("sqlite:" + DatabasePath, Store.Description);
    }

    [Fact]
    public async Task MigrateAsync_PathUnderAFile_ThrowsStoreExceptionNamingThePath()
    {
        Directory.CreateDirectory(_root);
        var blocker = Path.Combine(_root, "not-a-directory");
        await File.WriteAllTextAsync(blocker, "x");
        await using var store = new SqliteStore(Path.Combine(blocker, "blueteam.db"));

        var ex = await Assert.ThrowsAsync<StoreException>(() => store.MigrateAsync(CancellationToken.None));

        Assert.Contains("migrate failed on sqlite:" + Path.Combine(blocker, "blueteam.db"), ex.Message);
        Assert.NotNull(ex.InnerException);
    }

    [Fact]
    public async Task StoreFactoryCreate_SqliteOptions_OpensTheConfiguredFile()
    {
        await using var store = StoreFactory.Create(new DatabaseOptions { Driver = DatabaseDriver.Sqlite, Path = DatabasePath });

        Assert.IsType<SqliteStore>(store);
        Assert.Equal("sqlite:" + DatabasePath, store.Description);
        Assert.NotEmpty(await store.MigrateAsync(CancellationToken.None));
        Assert.True(File.Exists(DatabasePath));
    }
}
