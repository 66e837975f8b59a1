using System.Data;
using Microsoft.Data.Sqlite;

namespace BlueTeam.Storage;

/// <summary>What became of the database file a <see cref="SqliteFileWatch"/> holds.</summary>
public enum StoreFileState
{
    Intact,
    /// <summary>The file was unlinked and nothing is at its path.</summary>
    Deleted,
    /// <summary>Another file (a new inode) is at the path: moved over it, or created after a delete.</summary>
    Replaced,
}

/// <summary>An alert read back from the file that was deleted or replaced, with the channels it still owes.</summary>
public sealed record HeldAlert(SecurityIncident Incident, string Host, IReadOnlyList<string> PendingChannels);

/// <summary>
/// Holds the store's SQLite file open, by descriptor and by one connection of its own, so that when someone deletes or
/// replaces the file while the daemon runs, the daemon both notices (the descriptor's link in /proc names a deleted
/// file) and can still read everything the old file holds, including what sits in its WAL, through that connection:
/// the unlinked file lives on for as long as it is open.
/// </summary>
/// <remarks>Linux only (/proc/self/fd), as the daemon is.</remarks>
public sealed class SqliteFileWatch : IDisposable
{
    private readonly string _path;
    private readonly FileStream _handle;
    private readonly SqliteConnection _connection;

    private SqliteFileWatch(string path, FileStream handle, SqliteConnection connection)
    {
        _path = path;
        _handle = handle;
        _connection = connection;
        // The kernel's name for the file now: the path with its symbolic links resolved. Compared with later, so a
        // path through a link (/tmp on some systems) is not taken for a replaced file.
        _opened = LinkOfHandle();
    }

    private readonly string? _opened;

    private string? LinkOfHandle() =>
        File.ResolveLinkTarget($"/proc/self/fd/{_handle.SafeFileHandle.DangerousGetHandle()}", returnFinalTarget: false)?.FullName;

    public static SqliteFileWatch Open(string path)
    {
        var handle = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        // Its own pool-less connection: the store's pool is dropped when the file is recreated, this one must outlive that.
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        try
        {
            connection.Open();
            // A first read opens the WAL and its index too, so they stay readable through this connection after an unlink.
            using var probe = connection.CreateCommand();
            probe.CommandText = "SELECT COUNT(*) FROM sqlite_master";
            probe.ExecuteScalar();
        }
        catch (SqliteException e)
        {
            handle.Dispose();
            connection.Dispose();
            throw new StoreException("watch the store file", "sqlite:" + path, e);
        }
        return new SqliteFileWatch(path, handle, connection);
    }

    public StoreFileState Check()
    {
        // Unlinked, the kernel names it "PATH (deleted)"; moved elsewhere, by its new path.
        if (string.Equals(LinkOfHandle(), _opened, StringComparison.Ordinal)) return StoreFileState.Intact;
        return File.Exists(_path) ? StoreFileState.Replaced : StoreFileState.Deleted;
    }

    /// <summary>Every alert in the held (old) file, in id order, with the channels whose delivery is still pending there.</summary>
    /// <exception cref="StoreException">The old file cannot be read.</exception>
    public IReadOnlyList<HeldAlert> ReadHeld()
    {
        try
        {
            return ReadAlerts();
        }
        catch (SqliteException e)
        {
            throw new StoreException("read back the alerts of the deleted or replaced store file", "sqlite:" + _path, e);
        }
    }

    private List<HeldAlert> ReadAlerts()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = """
            SELECT a.id, a.host, a.incident_json, d.channel
            FROM alert_history a LEFT JOIN alert_deliveries d ON d.alert_id = a.id AND d.status = 'pending'
            ORDER BY a.id, d.channel
            """;
        var held = new List<HeldAlert>();
        using var reader = command.ExecuteReader(CommandBehavior.Default);
        long lastId = -1;
        List<string>? channels = null;
        while (reader.Read())
        {
            var id = reader.GetInt64(0);
            if (id != lastId)
            {
                var incident = EcsJson.DeserializeIncident(reader.GetString(2));
                if (incident is null) continue;
                channels = [];
                held.Add(new HeldAlert(incident, reader.GetString(1), channels));
                lastId = id;
            }
            if (!reader.IsDBNull(3)) channels!.Add(reader.GetString(3));
        }
        return held;
    }

    public void Dispose()
    {
        _connection.Dispose();
        _handle.Dispose();
    }
}
