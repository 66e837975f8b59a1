using System.Net;
using System.Text.RegularExpressions;

namespace BlueTeam.Alerting;

/// <summary>How a <see cref="LabelMatcher"/> compares: Alertmanager's four operators.</summary>
public enum MatchOperator
{
    /// <summary><c>=</c>: equal (an address label also takes a CIDR network: in it).</summary>
    Equal,
    /// <summary><c>!=</c>: not equal (not in the network).</summary>
    NotEqual,
    /// <summary><c>=~</c>: the whole value matches the regular expression.</summary>
    Regex,
    /// <summary><c>!~</c>: the whole value does not match it.</summary>
    NotRegex,
}

/// <summary>The labels of an incident that silences (and <c>explain</c>) can match on, and their values.</summary>
/// <remarks>
/// A label may have several values (<c>rule</c> is the rule's name and its id; <c>nist_control</c> one per
/// control); a missing label has the one value "" as in Alertmanager, so <c>source.ip!=…</c> holds for an
/// incident without an address.
/// </remarks>
public static class IncidentLabels
{
    public const string Rule = "rule";
    public const string RuleName = "rule.name";
    public const string RuleId = "rule.id";
    public const string Severity = "severity";
    public const string Host = "host";
    public const string SourceIp = "source.ip";
    public const string UserName = "user.name";
    public const string NistControl = "nist_control";
    public const string Fingerprint = "fingerprint";
    public const string CuiInvolved = "cui_involved";

    public static IReadOnlyList<string> Known { get; } = [Rule, RuleName, RuleId, Severity, Host, SourceIp, UserName, NistControl, Fingerprint, CuiInvolved];

    /// <summary>Labels whose values are addresses: <c>=</c> and <c>!=</c> compare them as addresses and take CIDR networks.</summary>
    public static bool IsAddress(string label) => label == SourceIp;

    /// <summary>Labels whose values name a rule (its name or id).</summary>
    public static bool IsRule(string label) => label is Rule or RuleName or RuleId;

    /// <summary>The values of <paramref name="label"/> on <paramref name="incident"/>, raised on <paramref name="host"/>; [""] when it has none.</summary>
    public static IReadOnlyList<string> Values(SecurityIncident incident, string host, string label)
    {
        ArgumentNullException.ThrowIfNull(incident);
        IReadOnlyList<string> values = label switch
        {
            Rule => [incident.Rule.Name, incident.Rule.Id],
            RuleName => [incident.Rule.Name],
            RuleId => [incident.Rule.Id],
            Severity => [incident.Severity.ToName()],
            Host => [incident.Host?.Hostname ?? host],
            SourceIp => incident.Source?.Ip is { } ip ? [ip] : [],
            UserName => incident.User?.Name is { } user ? [user] : [],
            NistControl => incident.NistControls,
            Fingerprint => [incident.Fingerprint],
            CuiInvolved => [incident.CuiInvolved ? "true" : "false"],
            _ => [],
        };
        return values.Count == 0 ? [""] : values;
    }
}

/// <summary>What one matcher said about one incident.</summary>
public enum MatchResult
{
    Holds,
    DoesNotHold,
    /// <summary>The regular expression ran out of time: the matcher neither holds nor fails; a silence that has it does not apply.</summary>
    TimedOut,
}

/// <summary>
/// One amtool-style condition on an incident label: <c>label=value</c>, <c>label!=value</c>,
/// <c>label=~regex</c>, <c>label!~regex</c>; on an address label <c>=</c> and <c>!=</c> also take a CIDR
/// network (<c>source.ip=203.0.113.0/24</c>, <c>source.ip=2001:db8::/32</c>).
/// </summary>
/// <remarks>
/// Regular expressions are anchored at both ends as Alertmanager anchors them (<c>ssh_.*</c> matches the whole
/// value, not a part of it), run by .NET's non-backtracking engine (time linear in the value, so no pattern
/// can be catastrophic) and with a timeout on top. A multi-valued label holds a positive matcher when any value
/// matches, a negative one when none does.
/// </remarks>
public sealed class LabelMatcher : IEquatable<LabelMatcher>
{
    /// <summary>The longest regular expression accepted: patterns are typed by people; a huge one is a mistake or an attack.</summary>
    public const int MaxPatternLength = 1024;

    /// <summary>How long one regular expression may run on one value.</summary>
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(100);

    private readonly Regex? _regex;
    private readonly IPNetwork? _network;
    private readonly IPAddress? _address;

    private LabelMatcher(string label, MatchOperator op, string value, Regex? regex, IPNetwork? network, IPAddress? address)
    {
        Label = label;
        Operator = op;
        Value = value;
        _regex = regex;
        _network = network;
        _address = address;
    }

    public string Label { get; }
    public MatchOperator Operator { get; }
    public string Value { get; }

    /// <summary>True for <c>=~</c> and <c>!~</c>.</summary>
    public bool IsRegex => Operator is MatchOperator.Regex or MatchOperator.NotRegex;

    /// <summary>True for <c>!=</c> and <c>!~</c>.</summary>
    public bool IsNegative => Operator is MatchOperator.NotEqual or MatchOperator.NotRegex;

    /// <summary>The network of an address matcher given in CIDR form; null otherwise.</summary>
    public IPNetwork? Network => _network;

    /// <summary>Builds a matcher; a regex is compiled here, so a bad one fails now, not at the first incident.</summary>
    /// <exception cref="ArgumentException">The label is empty, or the regular expression is too long or does not compile.</exception>
    public static LabelMatcher Create(string label, MatchOperator op, string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(label);
        ArgumentNullException.ThrowIfNull(value);
        if (op is MatchOperator.Regex or MatchOperator.NotRegex)
        {
            if (value.Length > MaxPatternLength)
                throw new ArgumentException($"the regular expression of {label} is {value.Length} characters long (at most {MaxPatternLength})");
            Regex regex;
            try
            {
                regex = new Regex($"^(?:{value})$", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, RegexTimeout);
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException)
            {
                // NotSupportedException: constructs the linear-time engine cannot run (backreferences, lookarounds),
                // which RE2 (Alertmanager) refuses too.
                throw new ArgumentException($"the regular expression of {label} is not valid: {e.Message}", e);
            }
            return new LabelMatcher(label, op, value, regex, null, null);
        }
        if (IncidentLabels.IsAddress(label))
        {
            if (value.Contains('/', StringComparison.Ordinal) && TryParseNetwork(value, out var network))
                return new LabelMatcher(label, op, value, null, network, null);
            if (IPAddress.TryParse(value, out var address))
                return new LabelMatcher(label, op, value, null, null, Canonical(address));
        }
        return new LabelMatcher(label, op, value, null, null, null);
    }

    /// <summary>The CIDR network <paramref name="text"/> names, refusing host bits after the prefix (203.0.113.7/24 is a typo, not a network).</summary>
    public static bool TryParseNetwork(string text, out IPNetwork network)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        // IPNetwork masks host bits away; compare with the address as written to catch them.
        return IPNetwork.TryParse(text, out network) && slash > 0 && IPAddress.TryParse(text[..slash], out var written)
            && network.BaseAddress.Equals(written);
    }

    /// <summary>The operator's text: =, !=, =~ or !~.</summary>
    public static string Symbol(MatchOperator op) => op switch
    {
        MatchOperator.Equal => "=",
        MatchOperator.NotEqual => "!=",
        MatchOperator.Regex => "=~",
        _ => "!~",
    };

    /// <summary>The operator <paramref name="symbol"/> names, or null.</summary>
    public static MatchOperator? ParseSymbol(string symbol) => symbol switch
    {
        "=" => MatchOperator.Equal,
        "!=" => MatchOperator.NotEqual,
        "=~" => MatchOperator.Regex,
        "!~" => MatchOperator.NotRegex,
        _ => null,
    };

    /// <summary>
    /// Splits <c>label op value</c> (e.g. <c>source.ip=203.0.113.0/24</c>, <c>user.name!~svc_.*</c>): the label is the
    /// leading run of letters, digits, '.', '_' and '-'; the operator follows it. False with a reason when it is not that shape.
    /// </summary>
    public static bool TrySplit(string text, out string label, out MatchOperator op, out string value, out string error)
    {
        label = value = error = "";
        op = MatchOperator.Equal;
        var i = 0;
        while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '.' or '_' or '-')) i++;
        label = text[..i];
        var rest = text[i..];
        string symbol = rest.StartsWith("!=", StringComparison.Ordinal) ? "!="
            : rest.StartsWith("!~", StringComparison.Ordinal) ? "!~"
            : rest.StartsWith("=~", StringComparison.Ordinal) ? "=~"
            : rest.StartsWith('=') ? "=" : "";
        if (label.Length == 0 || symbol.Length == 0)
        {
            error = "is not label=value, label!=value, label=~regex or label!~regex";
            return false;
        }
        op = ParseSymbol(symbol)!.Value;
        value = rest[symbol.Length..];
        // Alertmanager accepts quoted values (user.name="a b"); so does this.
        if (value.Length >= 2 && value[0] == '"' && value[^1] == '"') value = value[1..^1];
        return true;
    }

    /// <summary>Whether the matcher holds for <paramref name="incident"/> raised on <paramref name="host"/>.</summary>
    public MatchResult Test(SecurityIncident incident, string host)
    {
        var any = false;
        foreach (var v in IncidentLabels.Values(incident, host, Label))
        {
            switch (MatchesValue(v))
            {
                case null: return MatchResult.TimedOut;
                case true: any = true; break;
            }
            if (any) break;
        }
        return any != IsNegative ? MatchResult.Holds : MatchResult.DoesNotHold;
    }

    /// <summary>Whether the matcher holds for a label with the one value <paramref name="value"/> (what <c>silence add</c> checks against "" and rule names).</summary>
    public bool HoldsFor(string value) => MatchesValue(value) is { } matched && matched != IsNegative;

    // The positive comparison (=, =~) of one value; null when the regex timed out.
    private bool? MatchesValue(string value)
    {
        if (_regex is not null)
        {
            try
            {
                return _regex.IsMatch(value);
            }
            catch (RegexMatchTimeoutException)
            {
                return null;
            }
        }
        if (_network is { } network || _address is not null)
        {
            if (!IPAddress.TryParse(value, out var parsed)) return false;
            var address = Canonical(parsed);
            return _address is not null ? _address.Equals(address) : _network!.Value.Contains(address);
        }
        return string.Equals(Value, value, StringComparison.Ordinal);
    }

    // ::ffff:203.0.113.7 is 203.0.113.7: a silence for one must not miss the other.
    private static IPAddress Canonical(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    public override string ToString() => Label + Symbol(Operator) + Value;

    public bool Equals(LabelMatcher? other) =>
        other is not null && Label == other.Label && Operator == other.Operator && Value == other.Value;

    public override bool Equals(object? obj) => Equals(obj as LabelMatcher);

    public override int GetHashCode() => HashCode.Combine(Label, Operator, Value);
}
