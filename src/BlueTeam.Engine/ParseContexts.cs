using BlueTeam.Parsing;

namespace BlueTeam.Engine;

/// <summary>How the lines of a collector are completed, the same for every driver of the pipeline.</summary>
internal static class ParseContexts
{
    /// <summary>Its time zone and, for JSON logs, its field names; <paramref name="year"/> for RFC 3164 stamps when known.</summary>
    public static ParseContext For(CollectorOptions? collector, BlueTeamConfig config, DateTimeOffset now, int? year = null) => new()
    {
        Now = now,
        Year = year,
        DefaultHost = config.Host,
        TimeZone = collector?.TimeZone is { } zone ? TimeZoneInfo.FindSystemTimeZoneById(zone) : TimeZoneInfo.Local,
        Fields = collector?.Fields,
    };
}
