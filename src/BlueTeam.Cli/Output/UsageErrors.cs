using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace BlueTeam.Cli.Output;

/// <summary>
/// What a person sees when the command line is wrong or something unexpected breaks: one line per
/// problem in words (never a .NET type name or a stack trace), a hint where to look, and the
/// documented exit code (2 for usage, 1 for an internal error).
/// </summary>
internal static partial class UsageErrors
{
    /// <summary>Prints the parse errors of <paramref name="parse"/> and a hint; returns <see cref="ExitCodes.ConfigError"/>.</summary>
    public static int Report(ParseResult parse)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var error in parse.Errors)
        {
            var line = InWords(error.Message);
            if (seen.Add(line)) Console.Error.WriteLine("blueteam: " + line);
        }
        Console.Error.WriteLine($"Try '{CommandPath(parse.CommandResult)} --help'.");
        return ExitCodes.ConfigError;
    }

    /// <summary>An exception nobody expected: one line, no type name; the trace only with BLUETEAM_DEBUG=1.</summary>
    public static int Unexpected(Exception e)
    {
        Console.Error.WriteLine("blueteam: internal error: " + WithoutTypeNames(SafeText.Inert(e.Message, 400)));
        if (Environment.GetEnvironmentVariable("BLUETEAM_DEBUG") == "1") Console.Error.WriteLine(SafeText.Inert(e.ToString(), 20_000));
        else Console.Error.WriteLine("(set BLUETEAM_DEBUG=1 to print the details; please report this)");
        return ExitCodes.NotOk;
    }

    /// <summary>System.CommandLine's parse messages, with its .NET type names turned into what the value should look like.</summary>
    internal static string InWords(string message)
    {
        message = CannotParse().Replace(message, m =>
            $"'{m.Groups["value"].Value}' is not a valid value for {m.Groups["kind"].Value} '{m.Groups["name"].Value}': expected {Expected(m.Groups["type"].Value)}");
        message = message.Replace(Environment.NewLine + "\t", " ", StringComparison.Ordinal).Replace("\n\t", " ", StringComparison.Ordinal).Replace('\n', ' ').Trim();
        return WithoutTypeNames(SafeText.Inert(message, 400));
    }

    private static string Expected(string type) => type switch
    {
        _ when type.Contains("Int32", StringComparison.Ordinal) || type.Contains("Int64", StringComparison.Ordinal) => "a whole number",
        _ when type.Contains("Double", StringComparison.Ordinal) || type.Contains("Decimal", StringComparison.Ordinal) => "a number",
        _ when type.Contains("Boolean", StringComparison.Ordinal) => "true or false",
        _ when type.Contains("FileInfo", StringComparison.Ordinal) => "a file path",
        _ when type.Contains("DirectoryInfo", StringComparison.Ordinal) => "a directory path",
        _ when type.Contains("TimeSpan", StringComparison.Ordinal) => "a duration",
        _ => "another kind of value",
    };

    /// <summary>Any remaining <c>System.X.Y</c> name becomes <c>Y</c>; a reader needs the word, not the namespace.</summary>
    internal static string WithoutTypeNames(string text) => TypeName().Replace(text, m => m.Groups["last"].Value);

    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
            if (r is CommandResult c) names.Add(c.Command.Name);
        names.Reverse();
        if (names.Count > 0) names[0] = "blueteam"; // the root's name is the executable's file name
        return string.Join(' ', names);
    }

    [GeneratedRegex(@"Cannot parse argument '(?<value>[^']*)' for (?<kind>option|command|argument) '(?<name>[^']*)' as expected type '(?<type>[^']*)'\.?")]
    private static partial Regex CannotParse();

    [GeneratedRegex(@"\bSystem(?:\.[A-Za-z_][A-Za-z0-9_`]*)*\.(?<last>[A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex TypeName();
}
