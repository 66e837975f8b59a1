using System.Text.RegularExpressions;

namespace BlueTeam.Correlation.Kinds;

/// <summary>What every rule kind is given: identity, effective options, filter, grouping and wording.</summary>
public sealed record RuleSpec
{
    public required RuleDescriptor Descriptor { get; init; }
    public required RuleSettings Settings { get; init; }
    /// <summary>Which events the rule looks at (for sequence rules, the union of the steps' filters).</summary>
    public required EventFilter Filter { get; init; }
    /// <summary>The fields whose values make one key; an event lacking any of them is ignored.</summary>
    public required IReadOnlyList<EventField> GroupBy { get; init; }
    /// <summary>Incident title template, e.g. <c>SSH brute force from {source.address}</c>.</summary>
    public required string Title { get; init; }
    /// <summary>Incident description template; null = the kind's default wording.</summary>
    public string? Summary { get; init; }
    /// <summary>The configured host name, for incidents whose events name none.</summary>
    public required string Host { get; init; }
    /// <summary>Set when the rule has several detections: told apart in fingerprints and descriptions.</summary>
    public string? Detection { get; init; }
    /// <summary>Fields whose values multiply to the occurrences one event stands for (empty: every event is one).</summary>
    public IReadOnlyList<EventField> Weight { get; init; } = [];

    /// <summary>Most occurrences one event may stand for, so that a forged "repeated 2147483647 times" cannot overflow a count.</summary>
    public const int MaxWeight = 1_000_000;

    /// <summary>
    /// How many occurrences <paramref name="e"/> stands for: the product of its <see cref="Weight"/> fields, each read as a
    /// positive integer (1 when absent or not a positive number), capped at <see cref="MaxWeight"/>. syslog's
    /// "message repeated N times" is one event with labels.repeat_count N: a counting rule must add N, not 1.
    /// </summary>
    public int WeightOf(SecurityEvent e)
    {
        long weight = 1;
        for (var i = 0; i < Weight.Count; i++) // by index: foreach over the interface boxed an enumerator per event
        {
            var field = Weight[i];
            if (long.TryParse(field.ReadText(e), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 1)
                weight = Math.Min(weight * Math.Min(n, MaxWeight), MaxWeight);
        }
        return (int)weight;
    }

    public string Id => Descriptor.Id;
    public string Name => Descriptor.Name;

    /// <summary>The key values of <paramref name="e"/> in group_by order; false when one is missing.</summary>
    public bool TryKey(SecurityEvent e, out string[] values, out string key)
    {
        values = new string[GroupBy.Count];
        for (var i = 0; i < values.Length; i++)
        {
            var v = GroupBy[i].ReadText(e);
            if (string.IsNullOrEmpty(v)) { key = ""; return false; }
            values[i] = v;
        }
        // \u001f cannot occur in a parsed field value worth keying on; it keeps "a|b"+"c" apart from "a"+"b|c".
        key = values.Length == 1 ? values[0] : string.Join('\u001f', values);
        return true;
    }

    /// <summary>
    /// <see cref="TryKey(SecurityEvent, out string[], out string)"/> without the values array: one read and no allocation
    /// for the usual single-field key. Take <see cref="KeyValues"/> only for a key seen for the first time.
    /// </summary>
    public bool TryKey(SecurityEvent e, out string key)
    {
        if (GroupBy.Count != 1) return TryKey(e, out _, out key);
        var v = GroupBy[0].ReadText(e);
        key = v ?? "";
        return !string.IsNullOrEmpty(v);
    }

    /// <summary>The group_by fields with <paramref name="values"/>: <c>source.ip=203.0.113.7, user.name=root</c>.</summary>
    public string KeyText(IReadOnlyList<string> values) =>
        string.Join(", ", GroupBy.Select((field, i) => $"{field.Name}={(i < values.Count ? values[i] : "")}"));

    /// <summary>The key values of <paramref name="e"/> in group_by order; only for an event whose <see cref="TryKey(SecurityEvent, out string)"/> held.</summary>
    public string[] KeyValues(SecurityEvent e, string key)
    {
        if (GroupBy.Count == 1) return [key];
        TryKey(e, out var values, out _);
        return values;
    }

    /// <summary>
    /// Stable across replays and restarts: rule id, the detecting host, key values (and detection), window start in
    /// event time. The host is in it because a fleet shares one store: the same brute force against two hosts is two
    /// incidents, each in its own host's history, not one host's alert updated by the other.
    /// </summary>
    public string Fingerprint(DateTimeOffset windowStart, string[] keyValues) =>
        Detection is null
            ? SecurityIncident.ComputeFingerprint(Id, windowStart, [Host, .. keyValues])
            : SecurityIncident.ComputeFingerprint(Id, windowStart, [Host, .. keyValues, Detection]);
}

/// <summary>Fills <c>{name}</c> placeholders in titles and descriptions.</summary>
public static partial class IncidentText
{
    [GeneratedRegex(@"\{([A-Za-z0-9_.@]+)\}")]
    private static partial Regex Placeholder();

    /// <summary>The placeholder names used in <paramref name="template"/>.</summary>
    public static IEnumerable<string> Names(string template) => Placeholder().Matches(template).Select(m => m.Groups[1].Value);

    public static string Render(string template, Func<string, string?> lookup) =>
        Placeholder().Replace(template, m => lookup(m.Groups[1].Value) ?? "-");

    /// <summary>Values every template may use besides fields: the incident's numbers and the rule's options.</summary>
    public static readonly IReadOnlySet<string> StatNames = new HashSet<string>(StringComparer.Ordinal)
    {
        "count", "distinct_count", "span_sec", "first_seen", "last_seen", "key", "detection",
        RuleOptionNames.Threshold, RuleOptionNames.WindowSec, RuleOptionNames.SilentSec, RuleOptionNames.MaxKeys,
        RuleOptionNames.Hours, RuleOptionNames.Days, RuleOptionNames.TimeZone, RuleOptionNames.Groups,
    };

    /// <summary>An option's value as text (for rule descriptions), or null when the name is not an option.</summary>
    public static string? Option(RuleSettings s, string name) => name switch
    {
        RuleOptionNames.Threshold => s.Threshold.ToString(CultureInfo.InvariantCulture),
        RuleOptionNames.WindowSec => ((long)s.Window.TotalSeconds).ToString(CultureInfo.InvariantCulture),
        RuleOptionNames.SilentSec => ((long)s.Silent.TotalSeconds).ToString(CultureInfo.InvariantCulture),
        RuleOptionNames.MaxKeys => s.MaxKeys.ToString(CultureInfo.InvariantCulture),
        RuleOptionNames.Hours => string.Join(", ", s.Hours),
        RuleOptionNames.Days => string.Join(", ", s.Days),
        RuleOptionNames.TimeZone => s.TimeZone ?? "host zone",
        RuleOptionNames.Groups => string.Join(", ", s.Groups),
        _ => null,
    };

    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
