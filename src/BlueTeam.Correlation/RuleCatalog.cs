using BlueTeam.Core.Config;
using BlueTeam.Correlation.Rules;

namespace BlueTeam.Correlation;

/// <summary>
/// The built-in rules and the one place their config is checked: every name under
/// <c>correlation.rules</c> must be a known rule, and every option given must be one that rule reads.
/// </summary>
public static class RuleCatalog
{
    /// <summary>One line per rule. A new rule is one new file under Rules/ and one line here.</summary>
    public static IReadOnlyList<RuleRegistration> Registrations { get; } =
    [
        SshBruteForceRule.Registration,
    ];

    /// <summary>The enabled rules with the config's overrides applied.</summary>
    /// <param name="options">The <c>correlation</c> section.</param>
    /// <param name="host">The configured host name, for incidents whose events name none.</param>
    /// <exception cref="ConfigException">
    /// An unknown rule name (key <c>correlation.rules.&lt;name&gt;</c>, the message lists the known
    /// names), an option the rule does not read (key <c>correlation.rules.&lt;name&gt;.&lt;option&gt;</c>),
    /// or an impossible value. Every problem is listed, not just the first.
    /// </exception>
    public static IReadOnlyList<IRule> Build(CorrelationOptions options, string host) => Build(options, host, Registrations);

    /// <summary>Every rule, enabled or not, with its effective options; validates like <see cref="Build(CorrelationOptions, string)"/>.</summary>
    public static IReadOnlyList<RuleDescriptor> Describe(CorrelationOptions options) => Describe(options, Registrations);

    // The registrations are a parameter so that tests can check rules with other option sets.
    internal static IReadOnlyList<IRule> Build(CorrelationOptions options, string host, IReadOnlyList<RuleRegistration> registrations) =>
        Resolve(options, registrations).Where(r => r.Settings.Enabled).Select(r => r.Registration.Create(r.Settings, host)).ToArray();

    internal static IReadOnlyList<RuleDescriptor> Describe(CorrelationOptions options, IReadOnlyList<RuleRegistration> registrations) =>
        Resolve(options, registrations).Select(r => r.Registration.Descriptor(r.Settings)).ToArray();

    private static List<(RuleRegistration Registration, RuleSettings Settings)> Resolve(CorrelationOptions options, IReadOnlyList<RuleRegistration> registrations)
    {
        var overrides = options.Rules ?? [];
        var errors = new List<ConfigError>();
        var known = registrations.ToDictionary(r => r.Name, StringComparer.Ordinal);

        foreach (var (name, ruleOptions) in overrides.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var key = $"correlation.rules.{name}";
            if (!known.TryGetValue(name, out var registration))
            {
                errors.Add(Error(key, $"unknown rule '{name}'; known rules: {string.Join(", ", known.Keys.Order(StringComparer.Ordinal))}"));
                continue;
            }
            if (ruleOptions is null) continue;
            foreach (var option in GivenOptions(ruleOptions))
            {
                if (option is RuleOptionNames.Enabled or RuleOptionNames.Severity || registration.Options.Contains(option)) continue;
                errors.Add(Error($"{key}.{option}",
                    $"rule '{name}' has no option '{option}'; its options: {string.Join(", ", AcceptedOptions(registration))}"));
            }
            foreach (var problem in ruleOptions.Validate())
                errors.Add(Error($"{key}.{problem.Key}", problem.Message));
        }
        if (errors.Count > 0) throw new ConfigException("correlation.rules", errors);

        return registrations.Select(r => (r, Apply(r.Defaults, overrides.GetValueOrDefault(r.Name)))).ToList();
    }

    private static RuleSettings Apply(RuleSettings defaults, RuleOptions? o) => o is null
        ? defaults
        : defaults with
        {
            Enabled = o.Enabled ?? defaults.Enabled,
            Threshold = o.Threshold ?? defaults.Threshold,
            Window = o.WindowSec is { } seconds ? TimeSpan.FromSeconds(seconds) : defaults.Window,
            Severity = o.Severity ?? defaults.Severity,
        };

    private static IEnumerable<string> GivenOptions(RuleOptions o)
    {
        if (o.Enabled is not null) yield return RuleOptionNames.Enabled;
        if (o.Threshold is not null) yield return RuleOptionNames.Threshold;
        if (o.WindowSec is not null) yield return RuleOptionNames.WindowSec;
        if (o.Severity is not null) yield return RuleOptionNames.Severity;
    }

    private static IEnumerable<string> AcceptedOptions(RuleRegistration r) =>
        new[] { RuleOptionNames.Enabled, RuleOptionNames.Severity }.Concat(r.Options).Distinct().Order(StringComparer.Ordinal);

    // The catalogue sees bound options, not the YAML, so it cannot name a line; the loader's
    // errors already carry lines for syntax and types, and these keys are unique in the file.
    private static ConfigError Error(string key, string message) => new(key, "correlation.rules", message);
}
