namespace BlueTeam.Cli.Composition;

/// <summary>A read-only command was pointed at an SQLite store that does not exist.</summary>
internal sealed class NoStoreException(string path)
    : Exception($"no store at {path} (the daemon creates it at its first start; check database.path in the config)");

/// <summary>
/// Runs a command body with the loaded config and turns the errors every command shares into
/// clear messages and documented exit codes.
/// </summary>
internal static class CommandRunner
{
    public static async Task<int> RunAsync(ParseResult parse, CancellationToken ct, Func<AppServices, CancellationToken, Task<int>> body)
    {
        AppServices app;
        try
        {
            app = AppServices.Load(parse.GetValue(Commands.CliRoot.ConfigOption));
        }
        catch (ConfigException e)
        {
            WriteConfigError(e);
            return ExitCodes.ConfigError;
        }
        await using (app.ConfigureAwait(false))
        {
            try
            {
                return await body(app, ct).ConfigureAwait(false);
            }
            catch (ConfigException e)
            {
                // Found after loading (routes, channels, rule options): pointed at the line that set the key.
                WriteConfigError(app.Config.Locations.Locate(e, app.Config.Origin));
                return ExitCodes.ConfigError;
            }
            catch (NoStoreException e)
            {
                await Console.Error.WriteLineAsync($"blueteam: {SafeText.Inert(e.Message)}").ConfigureAwait(false);
                return ExitCodes.StoreError;
            }
            catch (StoreException e)
            {
                await Console.Error.WriteLineAsync($"blueteam: store error: {SafeText.Inert(e.Message)}").ConfigureAwait(false);
                if (e.InnerException is not null)
                    await Console.Error.WriteLineAsync($"  cause: {SafeText.Inert(e.InnerException.Message)}").ConfigureAwait(false);
                return ExitCodes.StoreError;
            }
        }
    }

    public static void WriteConfigError(ConfigException e)
    {
        Console.Error.WriteLine($"blueteam: invalid configuration ({SafeText.Inert(e.Origin)}):");
        foreach (var error in e.Errors) Console.Error.WriteLine("  " + SafeText.Inert(error.ToString()));
        if (e.Errors.Count == 0) Console.Error.WriteLine("  " + SafeText.Inert(e.Message));
    }
}
