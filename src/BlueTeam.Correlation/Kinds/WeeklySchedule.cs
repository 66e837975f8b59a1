namespace BlueTeam.Correlation.Kinds;

/// <summary>
/// Hours of the week in one time zone: days (mon … sun) and "HH:MM-HH:MM" ranges, the end
/// exclusive; a range whose end is before its start wraps past midnight and belongs to the day it starts.
/// </summary>
public sealed class WeeklySchedule
{
    private readonly HashSet<DayOfWeek> _days;
    private readonly (TimeSpan Start, TimeSpan End)[] _ranges;

    private WeeklySchedule(HashSet<DayOfWeek> days, (TimeSpan, TimeSpan)[] ranges, TimeZoneInfo zone)
    {
        _days = days;
        _ranges = ranges;
        Zone = zone;
    }

    public TimeZoneInfo Zone { get; }

    /// <summary>Whether <paramref name="t"/> falls inside the schedule, read in its zone (so daylight saving is followed).</summary>
    public bool Contains(DateTimeOffset t)
    {
        var local = TimeZoneInfo.ConvertTime(t, Zone);
        var time = local.TimeOfDay;
        foreach (var (start, end) in _ranges)
        {
            if (start < end)
            {
                if (time >= start && time < end && _days.Contains(local.DayOfWeek)) return true;
            }
            else
            {
                // Wraps midnight: the part after midnight belongs to the previous day's shift.
                if (time >= start && _days.Contains(local.DayOfWeek)) return true;
                if (time < end && _days.Contains(local.AddDays(-1).DayOfWeek)) return true;
            }
        }
        return false;
    }

    private static readonly Dictionary<string, DayOfWeek> DayNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["mon"] = DayOfWeek.Monday, ["tue"] = DayOfWeek.Tuesday, ["wed"] = DayOfWeek.Wednesday, ["thu"] = DayOfWeek.Thursday,
        ["fri"] = DayOfWeek.Friday, ["sat"] = DayOfWeek.Saturday, ["sun"] = DayOfWeek.Sunday,
    };

    /// <summary>Parses the options; each problem is returned as (option, message), none when valid.</summary>
    public static WeeklySchedule? TryCreate(IReadOnlyList<string> hours, IReadOnlyList<string> days, string? timeZone, List<(string Option, string Message)> problems)
    {
        var before = problems.Count;
        var ranges = new List<(TimeSpan, TimeSpan)>();
        if (hours.Count == 0) problems.Add((RuleOptionNames.Hours, "needs at least one \"HH:MM-HH:MM\" range"));
        for (var i = 0; i < hours.Count; i++)
        {
            var parts = hours[i].Split('-', StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && TryTime(parts[0], out var s) && TryTime(parts[1], out var e) && s != e) ranges.Add((s, e));
            else problems.Add(($"{RuleOptionNames.Hours}[{i}]", $"'{hours[i]}' is not a range \"HH:MM-HH:MM\" (00:00 to 24:00, start and end different)"));
        }
        var daySet = new HashSet<DayOfWeek>();
        if (days.Count == 0) problems.Add((RuleOptionNames.Days, "needs at least one day (mon, tue, wed, thu, fri, sat, sun)"));
        for (var i = 0; i < days.Count; i++)
        {
            if (DayNames.TryGetValue(days[i].Trim(), out var d)) daySet.Add(d);
            else problems.Add(($"{RuleOptionNames.Days}[{i}]", $"'{days[i]}' is not a day; use mon, tue, wed, thu, fri, sat, sun"));
        }
        var zone = TimeZoneInfo.Local;
        if (!string.IsNullOrEmpty(timeZone) && !TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out zone!))
        {
            problems.Add((RuleOptionNames.TimeZone, $"unknown time zone '{timeZone}'; use an IANA name such as Europe/Berlin or America/New_York"));
            zone = TimeZoneInfo.Utc;
        }
        return problems.Count > before ? null : new WeeklySchedule(daySet, [.. ranges], zone);
    }

    private static bool TryTime(string text, out TimeSpan time)
    {
        time = default;
        if (text == "24:00") { time = TimeSpan.FromHours(24); return true; }
        if (!TimeSpan.TryParseExact(text, @"hh\:mm", CultureInfo.InvariantCulture, out time)) return false;
        return time < TimeSpan.FromHours(24);
    }
}
