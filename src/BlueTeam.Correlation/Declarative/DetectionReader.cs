using YamlDotNet.RepresentationModel;

namespace BlueTeam.Correlation.Declarative;

/// <summary>
/// One detection of a rule file as a kind reads its own keys (<see cref="IRuleKind.Read"/>): every problem is
/// reported with the key's full path (<c>detections[1].distinct</c>) and line, as the parser reports its own.
/// </summary>
public sealed class DetectionReader
{
    private readonly RuleFileParser.Reader _reader;
    private readonly YamlMappingNode _map;
    private readonly string _prefix;

    internal DetectionReader(RuleFileParser.Reader reader, YamlMappingNode map, string prefix, IReadOnlyList<EventField> groupBy)
    {
        _reader = reader;
        _map = map;
        _prefix = prefix;
        GroupBy = groupBy;
    }

    /// <summary>The detection's group_by fields (those that resolved).</summary>
    public IReadOnlyList<EventField> GroupBy { get; }

    /// <summary>Whether the detection writes <paramref name="key"/>.</summary>
    public bool Has(string key) => RuleFileParser.Reader.Child(_map, key) is not null;

    /// <summary>Reports a problem with <paramref name="key"/>, at its line (at the detection's when the key is absent).</summary>
    public void Error(string key, string message) =>
        _reader.Error(Path(key), RuleFileParser.Reader.Child(_map, key) ?? _map, message);

    /// <summary>The required field named by <paramref name="key"/>; null (and reported) when absent or unknown.</summary>
    public EventField? Field(string key) => _reader.FieldOf(_map, key, Path(key), required: true);

    /// <summary>The true/false value of <paramref name="key"/>; null when absent (or reported when not true or false).</summary>
    public bool? Bool(string key) => _reader.Bool(_map, key, _prefix);

    /// <summary>The whole number <paramref name="key"/> gives, from <paramref name="min"/> to <paramref name="max"/>; null when absent (reported when required) or out of range.</summary>
    public int? Int(string key, int min, int max, bool required)
    {
        if (required && !Has(key)) Error(key, $"is required (a whole number from {min} to {max})");
        return _reader.Int(_map, key, min, max, _prefix);
    }

    /// <summary>The required step <paramref name="key"/>: a mapping with one <c>match</c> key.</summary>
    public MatchDefinition Step(string key) => _reader.Step(_map, key, Path(key));

    private string Path(string key) => _prefix.Length == 0 ? key : $"{_prefix}.{key}";
}
