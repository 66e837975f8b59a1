using Microsoft.Data.Sqlite;

namespace BlueTeam.Storage;

/// <summary>
/// The default store: one SQLite file, shared by the daemon and the CLI (WAL mode, busy timeout).
/// </summary>
/// <remarks>
/// The file holds alert history about attacks on this host, so it is created owner-only (0600,
/// in a 0700 directory when the directory is new) before SQLite first opens it; SQLite gives its
/// -wal and -shm files the same mode.
/// </remarks>
public sealed class SqliteStore : AdoStore
{
    public SqliteStore(string path, TimeProvider? timeProvider = null)
        : this(new SqliteFileDataSource(Path.GetFullPath(path)), timeProvider)
    {
    }

    private SqliteStore(SqliteFileDataSource dataSource, TimeProvider? timeProvider)
        : base(dataSource, SqliteDialect.Instance, timeProvider ?? TimeProvider.System, "sqlite:" + dataSource.FilePath)
    {
        FilePath = dataSource.FilePath;
        _source = dataSource;
        _clock = timeProvider ?? TimeProvider.System;
    }

    private readonly SqliteFileDataSource _source;
    private readonly TimeProvider _clock;

    /// <summary>The absolute path of the database file.</summary>
    public string FilePath { get; }

    /// <summary>
    /// Starts watching the database file the store uses now (see <see cref="SqliteFileWatch"/>): the daemon's
    /// store watcher holds one, and opens a new one after <see cref="RecreateAsync"/>.
    /// </summary>
    public SqliteFileWatch Watch() => SqliteFileWatch.Open(FilePath);

    /// <summary>
    /// After the file was deleted or replaced behind the store's back: every pooled connection (still on the old
    /// file) is dropped, whatever now sits at the path (a replacement, or a WAL without its database) is moved
    /// aside as <c>PATH.replaced-TIME</c> for the investigation, and a new file (0600) with the full schema is made.
    /// </summary>
    /// <returns>The paths moved aside.</returns>
    public async Task<IReadOnlyList<string>> RecreateAsync(CancellationToken cancellationToken)
    {
        var moved = _source.StartAfresh(_clock.GetUtcNow());
        await MigrateAsync(cancellationToken).ConfigureAwait(false);
        return moved;
    }
}

/// <summary>
/// A <see cref="DbDataSource"/> over one SQLite file: creates the file with safe permissions on
/// first use and prepares every connection it opens.
/// </summary>
internal sealed class SqliteFileDataSource : DbDataSource
{
    // Long enough to ride out the other process's write transaction (they are all short), short
    // enough that a stuck lock becomes an error someone sees.
    private static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(10);

    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode FileMode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly string _connectionString;
    private readonly Lock _prepareLock = new();
    private bool _prepared;

    public SqliteFileDataSource(string filePath)
    {
        FilePath = filePath;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = filePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        }.ToString();
    }

    public string FilePath { get; }

    public override string ConnectionString => _connectionString;

    protected override DbConnection CreateDbConnection() => new SqliteConnection(_connectionString);

    protected override DbConnection OpenDbConnection()
    {
        EnsureFile();
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            Prepare(connection);
            return connection;
        }
        catch (Exception)
        {
            connection.Dispose();
            throw;
        }
    }

    protected override async ValueTask<DbConnection> OpenDbConnectionAsync(CancellationToken cancellationToken = default)
    {
        EnsureFile();
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            Prepare(connection);
            return connection;
        }
        catch (Exception)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) ReleasePooledConnections();
        base.Dispose(disposing);
    }

    protected override ValueTask DisposeAsyncCore()
    {
        ReleasePooledConnections();
        return base.DisposeAsyncCore();
    }

    /// <summary>Drops pooled connections, moves what is at the path aside, and lets the next connection create the file again (0600).</summary>
    public IReadOnlyList<string> StartAfresh(DateTimeOffset now)
    {
        lock (_prepareLock)
        {
            ReleasePooledConnections();
            var suffix = ".replaced-" + now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
            var moved = new List<string>();
            foreach (var path in new[] { FilePath, FilePath + "-wal", FilePath + "-shm" })
            {
                if (!File.Exists(path)) continue;
                File.Move(path, path + suffix, overwrite: true);
                moved.Add(path + suffix);
            }
            _prepared = false;
            return moved;
        }
    }

    // Pooled connections keep the file open; release them so the file can be moved or deleted.
    private void ReleasePooledConnections()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    private static void Prepare(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        // Per connection: these settings are not stored in the file. journal_mode=WAL is stored, and
        // asking again costs nothing; WAL lets the CLI read while the daemon writes. The WAL is
        // checkpointed every 250 pages and cut back to 1 MiB after, so a daemon that writes a
        // heartbeat every few seconds for years does not grow it without bound (or fill a small disk).
        command.CommandText = $"""
            PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds};
            PRAGMA foreign_keys = ON;
            PRAGMA journal_mode = WAL;
            PRAGMA wal_autocheckpoint = 250;
            PRAGMA journal_size_limit = 1048576;
            """;
        command.ExecuteNonQuery();
    }

    /// <summary>Creates the directory (0700) and the file (0600) before SQLite would create them with the umask's mode.</summary>
    private void EnsureFile()
    {
        lock (_prepareLock)
        {
            if (_prepared) return;
            if (OperatingSystem.IsWindows())
            {
                // No Unix modes there; the directory's ACL decides who can read the file.
                Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
                _prepared = true;
                return;
            }
            var directory = Path.GetDirectoryName(FilePath);
            if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
                Directory.CreateDirectory(directory, DirectoryMode);
            if (!File.Exists(FilePath))
            {
                var options = new FileStreamOptions
                {
                    Mode = FileMode.OpenOrCreate, // another process may create it between the check and here
                    Access = FileAccess.ReadWrite,
                    Share = FileShare.ReadWrite,
                    UnixCreateMode = FileMode600,
                };
                using (new FileStream(FilePath, options)) { }
            }
            _prepared = true;
        }
    }
}
