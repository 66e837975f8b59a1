using System.CommandLine;
using BlueTeam.Parsing;

namespace BlueTeam.Cli.Commands;

/// <summary>The <c>--type</c> option of the commands that read a log file: the name of a registered log format.</summary>
internal static class FormatOption
{
    public static Option<string?> Create(string description)
    {
        var option = new Option<string?>("--type", "-t") { Description = description };
        option.AcceptOnlyFromAmong([.. LogFormats.Default.Names]);
        return option;
    }
}
