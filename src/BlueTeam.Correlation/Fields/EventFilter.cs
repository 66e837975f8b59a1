using System.Net;
using System.Text.RegularExpressions;

namespace BlueTeam.Correlation.Fields;

/// <summary>Tests one text value of a field.</summary>
public interface IValueMatcher
{
    bool Matches(string value);
    /// <summary>How the matcher reads in <c>rules list</c> and error messages (e.g. <c>in [root, admin]</c>).</summary>
    string Describe();
}

/// <summary>The value is exactly this text (ordinal; lower-case both sides with ignore_case).</summary>
public sealed class EqualsMatcher(string expected, bool ignoreCase = false) : IValueMatcher
{
    private readonly StringComparison _comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
    /// <summary>The one value that matches, when the match is exact (ordinal): for the correlator's rule index.</summary>
    public string? ExactValue => ignoreCase ? null : expected;
    public bool Matches(string value) => string.Equals(value, expected, _comparison);
    public string Describe() => $"equals {expected}";
}

/// <summary>The value is one of a set.</summary>
public sealed class InMatcher : IValueMatcher
{
    private readonly HashSet<string> _values;
    private readonly bool _ignoreCase;
    public InMatcher(IEnumerable<string> values, bool ignoreCase = false)
    {
        _values = new HashSet<string>(values, ignoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        _ignoreCase = ignoreCase;
    }
    public bool Matches(string value) => _values.Contains(value);
    /// <summary>The values that match, when the match is exact (ordinal): for the correlator's rule index.</summary>
    public IReadOnlySet<string>? ExactValues => _ignoreCase ? null : _values;
    public string Describe() => $"in [{string.Join(", ", _values.Order(StringComparer.Ordinal))}]";
}

/// <summary>The value contains this text.</summary>
public sealed class ContainsMatcher(string part, bool ignoreCase = false) : IValueMatcher
{
    private readonly StringComparison _comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
    public bool Matches(string value) => value.Contains(part, _comparison);
    public string Describe() => $"contains {part}";
}

/// <summary>
/// The value matches a .NET regular expression, run by the non-backtracking engine: its time is
/// linear in the input, so a hostile URL or user agent cannot stall the correlator (ReDoS).
/// Constructs that engine cannot run (backreferences, lookarounds) are refused at load.
/// </summary>
/// <remarks>
/// The engine itself is built on the first value to test (<see cref="NonBacktrackingCheck"/> has
/// already said it will build): building it is the costliest part of loading the catalogue, and
/// most rules never see a value for their field in a given run.
/// </remarks>
public sealed class RegexMatcher : IValueMatcher
{
    private readonly Lazy<Regex> _regex;
    private readonly string _pattern;

    public RegexMatcher(string pattern, bool ignoreCase = false)
    {
        _pattern = pattern;
        var options = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant;
        if (ignoreCase) options |= RegexOptions.IgnoreCase;
        _regex = NonBacktrackingCheck.Check(pattern, options) == NonBacktrackingCheck.Verdict.Supported
            ? new Lazy<Regex>(() => new Regex(pattern, options), LazyThreadSafetyMode.ExecutionAndPublication)
            : new Lazy<Regex>(new Regex(pattern, options)); // built now: only the engine can tell whether it accepts this one
    }

    /// <summary>Whether the engine has been built (it is on the first <see cref="Matches"/>).</summary>
    internal bool IsBuilt => _regex.IsValueCreated;

    public bool Matches(string value) => _regex.Value.IsMatch(value);
    public string Describe() => $"regex {_pattern}";
}

/// <summary>The value is an IP address inside one of these networks.</summary>
public sealed class CidrMatcher : IValueMatcher
{
    private readonly IPNetwork[] _networks;
    public CidrMatcher(IEnumerable<IPNetwork> networks) => _networks = [.. networks];

    public bool Matches(string value)
    {
        if (!IPAddress.TryParse(value, out var address)) return false;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        foreach (var n in _networks) if (n.Contains(address)) return true;
        return false;
    }

    public string Describe() => $"cidr [{string.Join(", ", _networks)}]";
}

/// <summary>One condition on one field: some value of the field matches (or, negated, none does).</summary>
public sealed class FieldCondition
{
    public FieldCondition(EventField field, IValueMatcher? matcher, bool negate = false, bool? exists = null)
    {
        Field = field;
        Matcher = matcher;
        Negate = negate;
        Exists = exists;
    }

    public EventField Field { get; }
    /// <summary>Null for a bare existence test.</summary>
    public IValueMatcher? Matcher { get; }
    public bool Negate { get; }
    public bool? Exists { get; }

    public bool Matches(SecurityEvent e)
    {
        // Most fields are one string or absent: test those directly. Enumerating ReadAll cost an
        // iterator object per condition, rule and event (the correlator's largest allocation).
        switch (Field.ReadRaw(e))
        {
            case null:
                return Exists is { } absentMustExist ? !absentMustExist : Negate;
            case string s:
                return Exists is { } mustExist ? mustExist == (s.Length > 0) : Matcher!.Matches(s) != Negate;
            case IReadOnlyList<string> list:
                // event.category, event.type: a short list, read by index (no enumerator).
                var anyValue = false;
                for (var i = 0; i < list.Count; i++)
                {
                    var v = list[i];
                    if (v is null) continue;
                    if (Exists is not null ? v.Length > 0 : Matcher!.Matches(v)) { anyValue = true; break; }
                }
                return Exists is { } listMustExist ? listMustExist == anyValue : anyValue != Negate;
            case var other:
                return MatchesAll(EventField.TextsOf(other));
        }
    }

    private bool MatchesAll(IEnumerable<string> values)
    {
        if (Exists is { } mustExist) return mustExist == values.Any(v => v.Length > 0);
        var any = false;
        foreach (var value in values)
        {
            if (Matcher!.Matches(value)) { any = true; break; }
        }
        return any != Negate;
    }

    /// <summary>The only values the field may have for this condition to hold (exact, ordinal), or null when it does not restrict them so.</summary>
    public IReadOnlySet<string>? RequiredValues() => Exists is null && !Negate
        ? Matcher switch
        {
            EqualsMatcher { ExactValue: { } v } => new HashSet<string>(StringComparer.Ordinal) { v },
            InMatcher { ExactValues: { } set } => set,
            _ => null,
        }
        : null;

    public override string ToString() =>
        Exists is { } x ? $"{Field.Name} {(x ? "exists" : "is absent")}" : $"{Field.Name} {(Negate ? "not " : "")}{Matcher!.Describe()}";
}

/// <summary>All conditions hold (an empty filter matches every event).</summary>
public sealed class EventFilter
{
    public static readonly EventFilter All = new([]);

    // An array for the hot loop: foreach over the IReadOnlyList boxed an enumerator per rule per event.
    private readonly FieldCondition[] _conditions;

    public EventFilter(IReadOnlyList<FieldCondition> conditions)
    {
        Conditions = conditions;
        _conditions = [.. conditions];
    }

    public IReadOnlyList<FieldCondition> Conditions { get; }

    public bool Matches(SecurityEvent e)
    {
        foreach (var c in _conditions) if (!c.Matches(e)) return false;
        return true;
    }

    /// <summary>
    /// The values <paramref name="fieldName"/> must take for the filter to match (from an exact <c>equals</c>/<c>in</c>
    /// condition on it), or null when any value may match.
    /// </summary>
    public IReadOnlySet<string>? RequiredValues(string fieldName)
    {
        foreach (var c in Conditions)
            if (c.Field.Name == fieldName && c.RequiredValues() is { } values) return values;
        return null;
    }

    /// <summary>The union of two required-value sets; null (anything) when either is.</summary>
    public static IReadOnlySet<string>? Union(IReadOnlySet<string>? a, IReadOnlySet<string>? b) =>
        a is null || b is null ? null : new HashSet<string>(a.Concat(b), StringComparer.Ordinal);

    public override string ToString() => Conditions.Count == 0 ? "every event" : string.Join(" and ", Conditions);
}
