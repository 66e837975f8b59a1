namespace BlueTeam.Correlation.Kinds;

/// <summary>
/// One kind of rule, in the manner of the OpenTelemetry Collector's component factories: its name, the
/// options config may override, the detection keys it reads besides the common ones (with their checks),
/// and how its rule is built. It sits in the file of the rule it builds and is registered with one line in
/// <see cref="RuleKinds.All"/>; the rule file parser and the catalogue know kinds only through that list.
/// </summary>
public interface IRuleKind
{
    /// <summary>The kind's name as rule files write it (<c>kind: threshold</c>).</summary>
    string Name { get; }

    /// <summary>The options <c>correlation.rules.&lt;name&gt;</c> may set for a rule of this kind (enabled and severity always).</summary>
    IReadOnlyList<string> Options { get; }

    /// <summary>The detection keys only this kind reads; another kind's detection that has one is refused with its message.</summary>
    IReadOnlyList<KindKey> Keys => [];

    /// <summary>False for a kind whose detection replaces <c>match</c> with keys of its own (sequence's steps).</summary>
    bool HasMatch => true;

    /// <summary>Whether a detection may give <c>weight</c> fields (the counting kinds).</summary>
    bool Weighted => false;

    /// <summary>
    /// Reads and checks the kind's own <see cref="Keys"/> of one detection, reporting each problem through
    /// <paramref name="detection"/> (key path and line). Returns what the rule is built from
    /// (<see cref="DetectionDefinition.Parameters"/>); null when the kind reads nothing of its own.
    /// </summary>
    object? Read(DetectionReader detection) => null;

    /// <summary>
    /// Problems of effective settings that only this kind can judge (schedule: hours, days, time_zone), each with its
    /// option key; checked on the file's defaults by the parser and again once the config's overrides are applied.
    /// </summary>
    void Check(RuleSettings settings, List<(string Option, string Message)> problems) { }

    /// <summary>Every filter the detection writes (sequence: its steps), as written.</summary>
    IEnumerable<MatchDefinition> Matches(DetectionDefinition detection) => [detection.Match];

    /// <summary>The events the rule looks at, with <c>$groups</c> expanded from <paramref name="settings"/>.</summary>
    EventFilter Filter(DetectionDefinition detection, RuleSettings settings) => detection.Match.Build(settings);

    /// <summary>The filter in words, for <c>rules list</c>.</summary>
    string Describe(DetectionDefinition detection, RuleSettings settings) => Filter(detection, settings).ToString();

    /// <summary>Builds the rule of one validated detection; <paramref name="spec"/> holds its effective settings and filter.</summary>
    IRule Create(RuleSpec spec, DetectionDefinition detection, RuleContext context);
}

/// <summary>A detection key one kind owns, with the error given when a detection of another kind writes it.</summary>
public sealed record KindKey(string Key, string Elsewhere);
