using System.Text.RegularExpressions;

namespace BlueTeam.Cli.Output;

/// <summary>Durations as people type them on the command line (90s, 30m, 2h, 7d, 2w) and as the CLI prints them.</summary>
internal static partial class DurationText
{
    [GeneratedRegex(@"^(?<n>[0-9]{1,6})(?<unit>s|m|h|d|w)$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = default;
        var m = Pattern().Match(text?.Trim() ?? "");
        if (!m.Success) return false;
        var n = long.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
        if (n == 0) return false;
        duration = m.Groups["unit"].Value switch
        {
            "s" => TimeSpan.FromSeconds(n),
            "m" => TimeSpan.FromMinutes(n),
            "h" => TimeSpan.FromHours(n),
            "d" => TimeSpan.FromDays(n),
            _ => TimeSpan.FromDays(7 * n),
        };
        return true;
    }

    /// <summary>
    /// A point in time given as a duration back from <paramref name="now"/> (24h) or as an ISO 8601
    /// timestamp (2026-03-01, 2026-03-01T08:00:00Z; UTC unless it says otherwise).
    /// </summary>
    public static bool TryParseSince(string? text, DateTimeOffset now, out DateTimeOffset since)
    {
        if (TryParse(text, out var back))
        {
            since = now - back;
            return true;
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out since);
    }

    /// <summary>Compact, largest units first: 45s, 3m20s, 2h05m, 3d04h.</summary>
    public static string Format(TimeSpan span)
    {
        if (span < TimeSpan.Zero) return "-" + Format(-span);
        if (span.TotalSeconds < 60) return $"{(int)span.TotalSeconds}s";
        if (span.TotalMinutes < 60) return $"{span.Minutes}m{span.Seconds:00}s";
        if (span.TotalHours < 24) return $"{(int)span.TotalHours}h{span.Minutes:00}m";
        return $"{(int)span.TotalDays}d{span.Hours:00}h";
    }

    public static string Timestamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
