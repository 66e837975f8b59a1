using System.Net;
using BlueTeam.Cli.Output;
using BlueTeam.Correlation;

namespace BlueTeam.Cli.Commands;

/// <summary>
/// What `silence add` checks before it stores anything, so that a silence cannot be accepted and then never
/// match: the label exists, a rule is one the config has, an address is an address or a network, a regex
/// compiles and matches some rule when it is about rules, and the silence does not match every incident.
/// Each refusal is one line naming the value and, when one is close, what was probably meant.
/// </summary>
internal static class SilenceMatcherCheck
{
    /// <summary>The matchers <paramref name="texts"/> describe, or the reason they cannot be used.</summary>
    /// <param name="texts">label op value, as typed (from --rule, --match and the arguments).</param>
    /// <param name="rules">The rules the config knows, enabled or not (names and ids are what rule matchers may name; a disabled one is refused by name).</param>
    public static (IReadOnlyList<LabelMatcher> Matchers, string? Error) Parse(IEnumerable<string> texts, IReadOnlyList<RuleDescriptor> rules)
    {
        var result = new List<LabelMatcher>();
        foreach (var text in texts)
        {
            if (!LabelMatcher.TrySplit(text, out var label, out var op, out var value, out var shape))
                return ([], $"matcher '{Inert.Plain(text, 80)}' {shape}");
            if (!IncidentLabels.Known.Contains(label, StringComparer.Ordinal))
                return ([], $"'{Inert.Plain(label, 40)}' is not an incident label{Suggestion.Hint(label, IncidentLabels.Known)} (labels: {string.Join(", ", IncidentLabels.Known)})");
            LabelMatcher matcher;
            try
            {
                matcher = LabelMatcher.Create(label, op, value);
            }
            catch (ArgumentException e)
            {
                return ([], Inert.Plain(e.Message, 300));
            }
            if (!result.Contains(matcher)) result.Add(matcher);
        }
        // Values after shapes and labels: a typo in the shape of one matcher is reported before what another names.
        var enabled = rules.Where(r => r.Enabled).ToList();
        foreach (var matcher in result)
        {
            if (IncidentLabels.IsRule(matcher.Label) && !matcher.IsRegex
                && rules.FirstOrDefault(r => r.Name == matcher.Value || r.Id == matcher.Value) is { Enabled: false } off)
                return ([], $"rule '{off.Name}' is disabled in the config (correlation.rules.{off.Name}.enabled): it raises nothing to silence");
            if (CheckValue(matcher, enabled) is { } error) return ([], error);
        }
        if (Contradiction(result, enabled) is { } contradiction) return ([], contradiction);
        if (result.Count == 0)
            return ([], "a silence needs at least one matcher (--rule NAME, --match label=value, or label=value arguments)");
        // Alertmanager's rule: a silence only of matchers that an empty label satisfies (user.name!=alice,
        // host=~.*) would hold back nearly everything.
        if (result.All(m => m.HoldsFor("")))
            return ([], $"{string.Join(", ", result.Select(m => Inert.Plain(m.ToString(), 80)))} would silence almost every incident; add a matcher that names what to silence (a rule, an address, a host)");
        return (result, null);
    }

    /// <summary>Two = matchers on a label with one value that name different values can never both hold.</summary>
    private static string? Contradiction(IReadOnlyList<LabelMatcher> matchers, IReadOnlyList<RuleDescriptor> rules)
    {
        foreach (var group in matchers.Where(m => m.Operator == MatchOperator.Equal).GroupBy(m => m.Label))
        {
            var values = group.Select(m => m.Value).Distinct(StringComparer.Ordinal).ToList();
            if (values.Count < 2 || group.Key == IncidentLabels.NistControl || IncidentLabels.IsAddress(group.Key)) continue;
            // rule= is the name or the id: rule=ssh_brute_force with rule=BT-AUTH-001 holds for that one rule.
            if (group.Key == IncidentLabels.Rule && rules.Any(r => values.All(v => v == r.Name || v == r.Id))) continue;
            return $"{string.Join(" and ", group.Select(m => Inert.Plain(m.ToString(), 80)))} can never both hold: the silence would match nothing";
        }
        return null;
    }

    private static string? CheckValue(LabelMatcher m, IReadOnlyList<RuleDescriptor> rules)
    {
        var shown = Inert.Plain(m.Value, 80);
        if (IncidentLabels.IsRule(m.Label))
        {
            var known = m.Label switch
            {
                IncidentLabels.RuleName => rules.Select(r => r.Name),
                IncidentLabels.RuleId => rules.Select(r => r.Id),
                _ => rules.SelectMany(r => new[] { r.Name, r.Id }),
            };
            var names = known.Distinct(StringComparer.Ordinal).ToList();
            if (m.IsRegex)
            {
                // A positive regex that fits no rule silences nothing; a negative one that fits none silences every rule.
                if (!names.Any(n => m.HoldsFor(n) != m.IsNegative))
                    return $"{Inert.Plain(m.ToString(), 120)}: the regular expression matches no rule the config runs (see blueteam rules list)";
                return null;
            }
            if (!names.Contains(m.Value, StringComparer.Ordinal))
                return $"no rule '{shown}' for {m.Label}{Suggestion.Hint(m.Value, names)} (see blueteam rules list)";
            return null;
        }
        if (m.Label == IncidentLabels.Severity)
        {
            var severities = Enum.GetValues<Severity>().Select(s => s.ToName()).ToList();
            if (m.IsRegex)
                return severities.Any(s => m.HoldsFor(s) != m.IsNegative) ? null : $"{Inert.Plain(m.ToString(), 120)}: the regular expression matches no severity ({string.Join(", ", severities)})";
            return severities.Contains(m.Value, StringComparer.Ordinal) ? null
                : $"'{shown}' is not a severity{Suggestion.Hint(m.Value, severities)} ({string.Join(", ", severities)})";
        }
        if (m.Label == IncidentLabels.CuiInvolved && !m.IsRegex && m.Value is not ("true" or "false"))
            return $"cui_involved is true or false, not '{shown}'";
        if (IncidentLabels.IsAddress(m.Label) && !m.IsRegex)
        {
            if (m.Network is not null || IPAddress.TryParse(m.Value, out _)) return null;
            var slash = m.Value.IndexOf('/', StringComparison.Ordinal);
            if (slash > 0 && IPAddress.TryParse(m.Value[..slash], out var address) && int.TryParse(m.Value[(slash + 1)..], out var prefix)
                && prefix >= 0 && prefix <= (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128))
            {
                // 203.0.113.7/24: host bits set after the prefix; say which network that is instead of guessing.
                var network = new IPNetwork(Masked(address, prefix), prefix);
                return $"'{shown}' has host bits set after the /{prefix}; did you mean '{network}'?";
            }
            return $"'{shown}' is neither an address nor a CIDR network (203.0.113.7, 203.0.113.0/24, 2001:db8::/32); for a pattern use {m.Label}=~REGEX";
        }
        return null;
    }

    private static IPAddress Masked(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(prefix - i * 8, 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }
        return new IPAddress(bytes);
    }
}
