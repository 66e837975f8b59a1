using BlueTeam.Cli.Commands;
using BlueTeam.Cli.Output;

namespace BlueTeam.Cli;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        BlueTeam.Alerting.Channels.ChannelRegistry.RegisterOptions(); // before any config is bound
        try
        {
            return await RunAsync(args).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return UsageErrors.Unexpected(e);
        }
    }

    private static async Task<int> RunAsync(string[] args)
    {
        var root = CliRoot.Build();
        var parse = root.Parse(args);
        // A wrong command line is a usage error: exit 2 with one line per problem and a hint,
        // rather than System.CommandLine's exit 1 and a page of help with .NET type names in it.
        if (parse.Errors.Count > 0) return UsageErrors.Report(parse);
        // Signals are handled by the commands that run long (monitor): they drain and print a
        // summary, which System.CommandLine's own handler would cut short. Its exception handler
        // prints a stack trace; ours says what happened in one line.
        var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false };
        try
        {
            return await parse.InvokeAsync(invocation).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return ExitCodes.NotOk; // Ctrl+C during a short command: it stopped before finishing
        }
    }
}
