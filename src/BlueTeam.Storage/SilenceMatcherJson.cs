using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace BlueTeam.Storage;

/// <summary>
/// The matchers_json column of a silence: an array of <c>{"label","op","value"}</c>. Silences written
/// before operators existed hold an object of label → value (equality, '*' at the end for a prefix);
/// they are read as the same conditions, so an old silence keeps silencing what it silenced.
/// </summary>
public static class SilenceMatcherJson
{
    internal static string Write(IReadOnlyList<LabelMatcher> matchers)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer)) WriteArray(w, matchers);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The matchers as a JSON array of {label, op, value}: the column's form, also what <c>silence list --format json</c> shows.</summary>
    public static void WriteArray(Utf8JsonWriter w, IReadOnlyList<LabelMatcher> matchers)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(matchers);
        w.WriteStartArray();
        foreach (var m in matchers)
        {
            w.WriteStartObject();
            w.WriteString("label", m.Label);
            w.WriteString("op", LabelMatcher.Symbol(m.Operator));
            w.WriteString("value", m.Value);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    // The engine reads the silences in force for every batch it raises: compiled matchers are kept by their
    // column text, so a regex is compiled once, not once per batch. Bounded: cleared when it grows past MaxCached.
    private const int MaxCached = 1024;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlyList<LabelMatcher>> Compiled = new(StringComparer.Ordinal);

    /// <exception cref="JsonException">The column holds neither shape.</exception>
    /// <exception cref="ArgumentException">A regex in it does not compile.</exception>
    internal static IReadOnlyList<LabelMatcher> Read(string json)
    {
        if (Compiled.TryGetValue(json, out var cached)) return cached;
        IReadOnlyList<LabelMatcher> matchers = Parse(json).AsReadOnly();
        if (Compiled.Count >= MaxCached) Compiled.Clear();
        Compiled[json] = matchers;
        return matchers;
    }

    private static List<LabelMatcher> Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var result = new List<LabelMatcher>();
        switch (root.ValueKind)
        {
            case JsonValueKind.Array:
                foreach (var m in root.EnumerateArray())
                {
                    var symbol = m.GetProperty("op").GetString() ?? "";
                    var op = LabelMatcher.ParseSymbol(symbol) ?? throw new JsonException($"'{symbol}' is not a matcher operator");
                    result.Add(LabelMatcher.Create(m.GetProperty("label").GetString() ?? "", op, m.GetProperty("value").GetString() ?? ""));
                }
                break;
            case JsonValueKind.Object:
                foreach (var p in root.EnumerateObject())
                {
                    var value = p.Value.GetString() ?? "";
                    result.Add(value.EndsWith('*')
                        ? LabelMatcher.Create(p.Name, MatchOperator.Regex, Regex.Escape(value[..^1]) + ".*")
                        : LabelMatcher.Create(p.Name, MatchOperator.Equal, value));
                }
                break;
            default:
                throw new JsonException($"matchers_json is a {root.ValueKind}, not an array or an object");
        }
        return result;
    }
}
