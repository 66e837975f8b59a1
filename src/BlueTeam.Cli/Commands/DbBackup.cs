using Microsoft.Data.Sqlite;

namespace BlueTeam.Cli.Commands;

/// <summary>
/// `blueteam db backup FILE`: a consistent copy of the SQLite store taken with SQLite's online backup,
/// safe while the daemon writes (it copies a snapshot, page by page, under SQLite's own locking), then
/// checked (`PRAGMA integrity_check`) before it is called done. PostgreSQL is backed up with pg_dump.
/// </summary>
internal static class DbBackup
{
    public static async Task<int> RunAsync(AppServices app, FileInfo target, CancellationToken ct)
    {
        var database = app.Config.Database;
        if (database.Driver != DatabaseDriver.Sqlite)
        {
            await Console.Error.WriteLineAsync("blueteam: db backup copies the SQLite store; back up PostgreSQL with pg_dump (see docs/OPERATIONS.md)").ConfigureAwait(false);
            return ExitCodes.ConfigError;
        }
        var source = database.ResolveSqlitePath();
        if (!File.Exists(source))
        {
            await Console.Error.WriteLineAsync($"blueteam: no store at {SafeText.Inert(source)}").ConfigureAwait(false);
            return ExitCodes.StoreError;
        }
        if (target.Exists)
        {
            await Console.Error.WriteLineAsync($"blueteam: {SafeText.Inert(target.FullName)} exists; name a new file (a backup never overwrites)").ConfigureAwait(false);
            return ExitCodes.ConfigError;
        }
        if (Path.GetFullPath(target.FullName) == Path.GetFullPath(source))
        {
            await Console.Error.WriteLineAsync("blueteam: the backup must be another file than the store").ConfigureAwait(false);
            return ExitCodes.ConfigError;
        }

        try
        {
            // The history is audit evidence: the copy is owner-only from its first byte.
            using (File.Create(target.FullName, 1, FileOptions.None)) { }
            File.SetUnixFileMode(target.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            await using (var from = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = source, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString()))
            await using (var to = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = target.FullName, Pooling = false }.ToString()))
            {
                await from.OpenAsync(ct).ConfigureAwait(false);
                await to.OpenAsync(ct).ConfigureAwait(false);
                from.BackupDatabase(to);
                await using var check = to.CreateCommand();
                check.CommandText = "PRAGMA integrity_check";
                var result = (string?)await check.ExecuteScalarAsync(ct).ConfigureAwait(false);
                if (result != "ok") throw new SqliteException($"integrity check of the copy says: {result}", 11);
                check.CommandText = "SELECT COUNT(*) FROM alert_history";
                var alerts = Convert.ToInt64(await check.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
                await Console.Out.WriteLineAsync($"backed up {SafeText.Inert(source)} to {SafeText.Inert(target.FullName)}: {alerts} alerts, integrity ok").ConfigureAwait(false);
            }
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is SqliteException or IOException or UnauthorizedAccessException)
        {
            File.Delete(target.FullName); // a half copy must not pass for a backup
            await Console.Error.WriteLineAsync($"blueteam: backup failed: {SafeText.Inert(e.Message)}").ConfigureAwait(false);
            return e is SqliteException ? ExitCodes.StoreError : ExitCodes.NotOk;
        }
    }
}
