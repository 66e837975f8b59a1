namespace BlueTeam.Cli.Output;

/// <summary>A command-line value the parser accepted but the command cannot use: said on stderr, exit 2.</summary>
internal static class Usage
{
    public static async Task<int> ErrorAsync(string message)
    {
        await Console.Error.WriteLineAsync("blueteam: " + message).ConfigureAwait(false);
        return ExitCodes.ConfigError;
    }
}
