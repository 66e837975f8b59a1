using BlueTeam.Storage.Fleet;

namespace BlueTeam.Storage.Ado;

// The versioned migrations (StoreMigrations), applied once each, and the check that lets a fleet role skip them.
internal sealed class AdoMigrator(StoreDatabase db, AdoAuditChain chain)
{
    /// <summary>Applies the missing migrations up to and including <paramref name="lastVersion"/> (tests build old schemas with it).</summary>
    /// <remarks>
    /// Each migration runs in its own transaction and re-checks, inside it, whether another process
    /// applied it meanwhile; PostgreSQL additionally serializes migrators with an advisory lock.
    /// </remarks>
    public Task<IReadOnlyList<int>> MigrateAsync(int lastVersion, CancellationToken cancellationToken) =>
        db.RunAsync<IReadOnlyList<int>>("migrate", async (connection, ct) =>
        {
            if (await IsSchemaCurrentAsync(connection, lastVersion, ct).ConfigureAwait(false)) return []; // [fleetsec #19] a fleet host's role may not migrate
            await using (var bootstrap = await db.Dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false))
            {
                await LockMigrationsAsync(connection, bootstrap, ct).ConfigureAwait(false);
                await ExecuteAsync(connection, bootstrap, db.Dialect.BootstrapSql, ct).ConfigureAwait(false);
                await bootstrap.CommitAsync(ct).ConfigureAwait(false);
            }

            var applied = new List<int>();
            foreach (var migration in StoreMigrations.All.Where(m => m.Version <= lastVersion))
            {
                await using var transaction = await db.Dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
                await LockMigrationsAsync(connection, transaction, ct).ConfigureAwait(false);

                await using (var check = Command(connection, transaction, $"SELECT COUNT(*) FROM {db.Migrations} WHERE version = @version"))
                {
                    Add(check, "@version", migration.Version);
                    if (Convert.ToInt64(await check.ExecuteScalarAsync(ct).ConfigureAwait(false)) > 0)
                    {
                        await transaction.CommitAsync(ct).ConfigureAwait(false);
                        continue;
                    }
                }

                await ExecuteAsync(connection, transaction, db.Dialect.MigrationSql(migration), ct).ConfigureAwait(false);
                if (migration.AfterSql == MigrationStep.ChainExistingAlerts)
                    await chain.ChainExistingAlertsAsync(connection, transaction, ct).ConfigureAwait(false);
                await using (var record = Command(connection, transaction,
                    $"INSERT INTO {db.Migrations} (version, description, applied_at) VALUES (@version, @description, @applied_at)"))
                {
                    Add(record, "@version", migration.Version);
                    AddText(record, "@description", migration.Description);
                    db.AddTimestamp(record, "@applied_at", db.Time.GetUtcNow());
                    await record.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }
                await transaction.CommitAsync(ct).ConfigureAwait(false);
                applied.Add(migration.Version);
            }
            return applied;
        }, cancellationToken);

    private async Task LockMigrationsAsync(DbConnection connection, DbTransaction transaction, CancellationToken ct)
    {
        if (db.Dialect.MigrationLockSql is { } sql)
            await ExecuteAsync(connection, transaction, sql, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// True when every migration up to <paramref name="lastVersion"/> is recorded: then there is
    /// nothing to do, and no lock nor right to create anything is needed. PostgreSQL only: an
    /// SQLite file has no roles, and its migration already runs as a reader would.
    /// </summary>
    /// <remarks>
    /// What lets a fleet host's least-privilege role use the store at all: a daemon migrates at start,
    /// and such a role may not create anything, so a schema that is already current is left alone.
    /// </remarks>
    /// <exception cref="StoreException">The schema is behind and this connection is a fleet role, which may not migrate it.</exception>
    private async Task<bool> IsSchemaCurrentAsync(DbConnection connection, int lastVersion, CancellationToken ct)
    {
        if (db.Dialect is not PostgresDialect) return false;
        await using (var exists = Command(connection, null, "SELECT to_regclass('blueteam.schema_migrations') IS NOT NULL"))
        {
            if (await exists.ExecuteScalarAsync(ct).ConfigureAwait(false) is not true) return false;
        }
        var wanted = StoreMigrations.All.Where(m => m.Version <= lastVersion).Select(m => m.Version).ToHashSet();
        await using (var command = Command(connection, null, $"SELECT version FROM {db.Migrations}"))
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
            throw new StoreException("migrate", db.Description,
                $"the schema lacks version(s) {string.Join(", ", wanted.Order())}, and this fleet role may not migrate it: " +
                "run `blueteam db migrate` with the administrator's (the owner's) connection, then start this host again");
        }
        return false;
    }
}
