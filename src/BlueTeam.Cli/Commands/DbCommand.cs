using System.CommandLine;
using BlueTeam.Cli.Composition;
using BlueTeam.Core.Text;

namespace BlueTeam.Cli.Commands;

/// <summary>`blueteam db migrate`: applies the store's versioned migrations (the daemon also does at start).</summary>
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
        return new Command("db", "Store maintenance") { migrate };
    }
}
