using System.Data.Common;
using BlueTeam.Storage.Fleet;

namespace BlueTeam.Storage;

// What lets a fleet host's least-privilege role use the store at all: a daemon migrates at start,
// and such a role may not create anything, so a schema that is already current is left alone.
public abstract partial class AdoStore : IHostCheckpointStore
{
    /// <summary>
    /// True when every migration up to <paramref name="lastVersion"/> is recorded: then there is
    /// nothing to do, and no lock nor right to create anything is needed. PostgreSQL only: an
    /// SQLite file has no roles, and its migration already runs as a reader would.
    /// </summary>
    private async Task<bool> IsSchemaCurrentAsync(DbConnection connection, int lastVersion, CancellationToken ct)
    {
        if (_dialect is not PostgresDialect) return false;
        await using (var exists = Command(connection, null, "SELECT to_regclass('blueteam.schema_migrations') IS NOT NULL"))
        {
            if (await exists.ExecuteScalarAsync(ct).ConfigureAwait(false) is not true) return false;
        }
        var wanted = StoreMigrations.All.Where(m => m.Version <= lastVersion).Select(m => m.Version).ToHashSet();
        await using var command = Command(connection, null, $"SELECT version FROM {_migrations}");
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false)) wanted.Remove(reader.GetInt32(0));
        return wanted.Count == 0;
    }
}
