namespace BlueTeam.Cli.Commands;

/// <summary>
/// `blueteam db migrate`: applies the store's versioned migrations (the daemon also does at start);
/// `blueteam db backup FILE`: an online copy of the SQLite store; `blueteam db prune`: retention (DbPrune).
/// </summary>
internal static class DbCommand
{
    public static Command Build()
    {
        var migrate = new Command("migrate", "Create or upgrade the store's schema");
        migrate.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (app, token) =>
        {
            var applied = await app.Store.MigrateAsync(token).ConfigureAwait(false);
            Console.Out.WriteLine(applied.Count == 0
                ? $"{SafeText.Inert(app.Store.Description)}: schema is up to date"
                : $"{SafeText.Inert(app.Store.Description)}: applied migrations {string.Join(", ", applied)}");
            return ExitCodes.Ok;
        }));
        var file = new Argument<FileInfo>("file") { Description = "The new file to write the copy to (never overwritten)" };
        var backup = new Command("backup", "Copy the SQLite store to FILE while the daemon runs (SQLite's online backup), checked before it is called done") { file };
        backup.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, token) => DbBackup.RunAsync(app, parse.GetValue(file)!, token)));
        return new Command("db", "Store maintenance") { migrate, backup, DbPrune.Build() };
    }
}
