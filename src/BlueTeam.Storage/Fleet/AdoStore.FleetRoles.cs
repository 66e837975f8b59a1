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
    /// <exception cref="StoreException">The schema is behind and this connection is a fleet role, which may not migrate it.</exception>
    private async Task<bool> IsSchemaCurrentAsync(DbConnection connection, int lastVersion, CancellationToken ct)
    {
        if (_dialect is not PostgresDialect) return false;
        await using (var exists = Command(connection, null, "SELECT to_regclass('blueteam.schema_migrations') IS NOT NULL"))
        {
            if (await exists.ExecuteScalarAsync(ct).ConfigureAwait(false) is not true) return false;
        }
        var wanted = StoreMigrations.All.Where(m => m.Version <= lastVersion).Select(m => m.Version).ToHashSet();
        await using (var command = Command(connection, null, $"SELECT version FROM {_migrations}"))
        {
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false)) wanted.Remove(reader.GetInt32(0));
        }
        if (wanted.Count == 0) return true;

        // Said plainly instead of "permission denied for database": an upgraded host started
        // before the administrator migrated. (Superusers are members of every role, hence the first test.)
        await using var member = Command(connection, null, $"""
            SELECT current_setting('is_superuser') = 'off' AND EXISTS (
                SELECT 1 FROM pg_roles g WHERE g.rolname IN ('{FleetRolesSchema.HostGroup}', '{FleetRolesSchema.OperatorGroup}')
                  AND pg_has_role(current_user, g.oid, 'MEMBER'))
            """);
        if (await member.ExecuteScalarAsync(ct).ConfigureAwait(false) is true)
        {
            throw new StoreException("migrate", Description,
                $"the schema lacks version(s) {string.Join(", ", wanted.Order())}, and this fleet role may not migrate it: " +
                "run `blueteam db migrate` with the administrator's (the owner's) connection, then start this host again");
        }
        return false;
    }
}
