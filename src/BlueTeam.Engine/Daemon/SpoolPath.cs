namespace BlueTeam.Engine.Daemon;

/// <summary>Where the daemon spools incidents while its store is down.</summary>
internal static class SpoolPath
{
    /// <summary>
    /// Beside the SQLite file, named after it; for PostgreSQL in the default data directory, named after the
    /// server and database (never the password), so that daemons on one host that use different stores never
    /// share a spool: one of them would replay, and so move, the other's incidents into the wrong store.
    /// </summary>
    public static string For(BlueTeamConfig config)
    {
        if (config.Database.Driver == DatabaseDriver.Sqlite)
        {
            var db = config.Database.ResolveSqlitePath();
            return Path.Combine(Path.GetDirectoryName(db) ?? ".", Path.GetFileNameWithoutExtension(db) + ".spool.jsonl");
        }
        var target = new Npgsql.NpgsqlConnectionStringBuilder(config.Database.ConnectionString);
        var identity = $"{target.Host}\u001f{target.Port}\u001f{target.Database}\u001f{target.Username}";
        var id = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(identity)))[..12];
        return Path.Combine(Path.GetDirectoryName(DefaultPaths.Database()) ?? ".", $"blueteam-postgres-{id}.spool.jsonl");
    }
}
