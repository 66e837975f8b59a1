namespace BlueTeam.Correlation.Kinds;

/// <summary>
/// Kind <c>large_value</c>: matching events whose <c>measure</c> field is a whole number of at least
/// <c>at_least</c>, counted per key like a threshold rule (<c>threshold</c> of them within
/// <c>window_sec</c>; with threshold 1 every such event is reported): a response of hundreds of
/// megabytes from the web server (<c>http.response.body.bytes</c>), a sudden export of more rows than any
/// report needs. Match conditions compare text; this kind compares numbers.
/// </summary>
/// <remarks>A value that is absent, not a whole number or negative never counts: the rule stays quiet rather than guess.</remarks>
public sealed class LargeValueRule(RuleSpec spec, EventField measure, int atLeast) : BurstRule(spec)
{
    public const string Kind = "large_value";

    private protected override bool Counts(SecurityEvent securityEvent) =>
        long.TryParse(measure.ReadText(securityEvent), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= atLeast;
}

/// <summary>The <c>large_value</c> kind: its <c>measure</c> field and the <c>at_least</c> it must reach.</summary>
public sealed class LargeValueRuleKind : IRuleKind
{
    public string Name => LargeValueRule.Kind;
    public IReadOnlyList<string> Options { get; } = [RuleOptionNames.Threshold, RuleOptionNames.WindowSec, RuleOptionNames.MaxKeys];

    public IReadOnlyList<KindKey> Keys { get; } =
    [
        new("measure", "only large_value rules have a measure field"),
        new("at_least", "only large_value rules read at_least"),
    ];

    public object? Read(DetectionReader detection)
    {
        var measure = detection.Field("measure");
        var atLeast = detection.Int("at_least", 1, int.MaxValue, required: true);
        return measure is null || atLeast is null ? null : new LargeValueDetection(measure, atLeast.Value);
    }

    public IRule Create(RuleSpec spec, DetectionDefinition detection, RuleContext context)
    {
        var p = detection.ParametersAs<LargeValueDetection>();
        return new LargeValueRule(spec, p.Measure, p.AtLeast);
    }
}

/// <summary>What a large_value detection reads: the numeric field and the least value that counts.</summary>
public sealed record LargeValueDetection(EventField Measure, int AtLeast);
