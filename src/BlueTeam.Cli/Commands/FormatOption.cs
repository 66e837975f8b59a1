using System.CommandLine;
using BlueTeam.Core.Text;
using BlueTeam.Parsing;

namespace BlueTeam.Cli.Commands;

/// <summary>The <c>--type</c> option of the commands that read a log file: the name of a registered log format.</summary>
internal static class FormatOption
{
    public static Option<string?> Create(string description)
    {
        var option = new Option<string?>("--type", "-t")
        {
            Description = description,
            // Case-insensitive, as the enum this option was (--type Auth is auth), and as a collector's type is read.
            CustomParser = result =>
            {
                var given = result.Tokens[0].Value;
                var name = given.ToLowerInvariant();
                if (LogFormats.Default.IsRegistered(name)) return name;
                result.AddError($"unknown format '{SafeText.Inert(given, 32)}' (known: {string.Join(", ", LogFormats.Default.Names)})");
                return null;
            },
        };
        option.CompletionSources.Add([.. LogFormats.Default.Names]);
        return option;
    }
}
