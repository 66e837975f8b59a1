namespace BlueTeam.Parsing;

/// <summary>The fields every event carries about where its line came from, built the same way by every parser.</summary>
internal static class EventFields
{
    public const string CollectorLabel = "collector";

    public static EcsLog Log(RawLine line, ParseContext context) => new()
    {
        File = string.IsNullOrEmpty(line.Path) ? null : context.LogFile(line.Path),
        Offset = line.Offset,
    };

    public static IReadOnlyDictionary<string, string> Labels(RawLine line) =>
        new Dictionary<string, string>(1, StringComparer.Ordinal) { [CollectorLabel] = line.Collector ?? "" };

    /// <summary>host.hostname from the line, else the context's default; null when neither names one.</summary>
    public static EcsHost? Host(ReadOnlySpan<char> hostname, ParseContext context)
    {
        if (!hostname.IsEmpty) return context.Host(hostname);
        return context.DefaultEcsHost;
    }
}
