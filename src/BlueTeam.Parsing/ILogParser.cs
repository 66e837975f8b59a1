using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Sources;

namespace BlueTeam.Parsing;

/// <summary>
/// Turns one raw line of a given log format into a <see cref="SecurityEvent"/>, or null when the
/// line is of no security interest. Pure, never throws on any input, and cheap on lines it does
/// not match (a prefilter before any regex).
/// </summary>
public interface ILogParser
{
    CollectorType Format { get; }
    SecurityEvent? Parse(RawLine line, ParseContext context);
}

/// <summary>What a parser needs besides the line: how to complete timestamps that lack a year or a zone.</summary>
public sealed class ParseContext
{
    /// <summary>The year for RFC 3164 timestamps; null = inferred from <see cref="Now"/> (a date in the future means last year).</summary>
    public int? Year { get; init; }
    /// <summary>The zone of timestamps that carry none (RFC 3164).</summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Local;
    /// <summary>The reference time for year inference.</summary>
    public DateTimeOffset Now { get; init; } = DateTimeOffset.UtcNow;
    /// <summary>host.hostname when the line itself names none.</summary>
    public string? DefaultHost { get; init; }
}
