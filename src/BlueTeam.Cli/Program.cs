using System.CommandLine;
using BlueTeam.Cli.Commands;

namespace BlueTeam.Cli;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        BlueTeam.Alerting.Channels.ChannelRegistry.RegisterOptions(); // before any config is bound
        var root = CliRoot.Build();
        var parse = root.Parse(args);
        // Signals are handled by the commands that run long (monitor): they drain and print a
        // summary, which System.CommandLine's own handler would cut short.
        var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null };
        return await parse.InvokeAsync(invocation).ConfigureAwait(false);
    }
}
