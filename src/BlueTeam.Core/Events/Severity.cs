namespace BlueTeam.Core.Events;

/// <summary>Incident severity, ordered so that comparisons read naturally (High &gt; Medium).</summary>
public enum Severity
{
    Info = 0,
    Low = 1,
    Medium = 2,
    High = 3,
    Critical = 4,
}

public static class SeverityNames
{
    /// <summary>The lower-case name used in config, JSON, the store and the CLI.</summary>
    public static string ToName(this Severity severity) => severity switch
    {
        Severity.Info => "info",
        Severity.Low => "low",
        Severity.Medium => "medium",
        Severity.High => "high",
        Severity.Critical => "critical",
        _ => throw new ArgumentOutOfRangeException(nameof(severity), severity, "unknown severity"),
    };

    public static bool TryParse(string? text, out Severity severity)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "info": severity = Severity.Info; return true;
            case "low": severity = Severity.Low; return true;
            case "medium": severity = Severity.Medium; return true;
            case "high": severity = Severity.High; return true;
            case "critical": severity = Severity.Critical; return true;
            default: severity = Severity.Info; return false;
        }
    }

    public static Severity Parse(string text) =>
        TryParse(text, out var s) ? s : throw new FormatException($"'{text}' is not a severity (info, low, medium, high, critical)");

    public const string AllNames = "info, low, medium, high, critical";
}
