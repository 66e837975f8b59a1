using System.Reflection;

namespace BlueTeam.Correlation;

/// <summary>What rules need from their surroundings besides their options.</summary>
public sealed record RuleContext
{
    /// <summary>The configured host name, for incidents whose events name none.</summary>
    public required string Host { get; init; }
    /// <summary>Wall-clock time for absence rules (tests pass a FakeTimeProvider).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
    /// <summary>First-seen history; the store's persistent implementation in the daemon, in-memory for scan.</summary>
    public IFirstSeenStore FirstSeen { get; init; } = new InMemoryFirstSeenStore();
    /// <summary>The sources absence rules expect to hear from from the start (the configured collector names).</summary>
    public IReadOnlyList<string> ExpectedSources { get; init; } = [];
}

/// <summary>
/// The rule catalogue: the built-in rule files (rules/*.yaml, embedded in this assembly) plus the
/// files in <c>correlation.rules_dir</c>, combined with <c>correlation.rules.&lt;name&gt;</c>
/// overrides. The one place where rule config is checked: every overridden name must be a known
/// rule and every option one that rule's kind reads. A new detection is one YAML file.
/// </summary>
public static class RuleCatalog
{
    private const string ResourcePrefix = "rules/";

    /// <summary>The built-in rule definitions, parsed once (a broken built-in file is a build bug, caught by the tests).</summary>
    public static IReadOnlyList<RuleDefinition> BuiltIn => BuiltInRules.Value;

    private static readonly Lazy<IReadOnlyList<RuleDefinition>> BuiltInRules = new(() =>
    {
        var assembly = typeof(RuleCatalog).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n => RuleFileParser.Parse(ReadResource(assembly, n), "built-in " + n))
            .ToArray();
    });

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"missing resource {name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The enabled rules with the config's overrides applied (the daemon's and scan's entry point).</summary>
    /// <exception cref="ConfigException">A bad rule file, an unknown rule name or option, or an impossible value; every problem listed.</exception>
    public static IReadOnlyList<IRule> Build(CorrelationOptions options, string host) => Build(options, new RuleContext { Host = host });

    public static IReadOnlyList<IRule> Build(CorrelationOptions options, RuleContext context)
    {
        var rules = Resolve(options).Where(r => r.Settings.Enabled).Select(r => Create(r.Definition, r.Settings, context)).ToList();
        if (Failpoint.RuleFromEnvironment() is { } failpoint) rules.Add(failpoint);
        return rules;
    }

    /// <summary>One rule by name, built even when disabled (for <c>rules test</c>); null when no rule has that name.</summary>
    public static IRule? BuildOne(CorrelationOptions options, string name, RuleContext context) =>
        Resolve(options).Where(r => r.Definition.Name == name).Select(r => Create(r.Definition, r.Settings, context)).FirstOrDefault();

    /// <summary>Every rule, enabled or not, with its effective options; validates like <see cref="Build(CorrelationOptions, string)"/>.</summary>
    public static IReadOnlyList<RuleDescriptor> Describe(CorrelationOptions options) =>
        Resolve(options).Select(r => Descriptor(r.Definition, r.Settings)).ToArray();

    /// <summary>The definitions in a rules directory (*.yaml, *.yml, in name order); every file's problems are listed.</summary>
    public static IReadOnlyList<RuleDefinition> LoadDirectory(string directory)
    {
        if (!Directory.Exists(directory))
            throw new ConfigException("correlation.rules_dir", [new ConfigError("correlation.rules_dir", directory, "the rules directory does not exist")]);
        var errors = new List<ConfigError>();
        var rules = new List<RuleDefinition>();
        var files = Directory.EnumerateFiles(directory, "*.yaml").Concat(Directory.EnumerateFiles(directory, "*.yml")).Order(StringComparer.Ordinal);
        foreach (var file in files)
        {
            try
            {
                rules.Add(RuleFileParser.Parse(File.ReadAllText(file), file));
            }
            catch (ConfigException e)
            {
                errors.AddRange(e.Errors);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Add(new ConfigError("(file)", file, $"cannot read the rule file: {e.Message}"));
            }
        }
        if (errors.Count > 0) throw new ConfigException(directory, errors);
        return rules;
    }

    // The definitions are a parameter so that tests can check rules other than the built-in ones.
    internal static List<(RuleDefinition Definition, RuleSettings Settings)> Resolve(CorrelationOptions options, IReadOnlyList<RuleDefinition>? definitions = null)
    {
        definitions ??= options.RulesDir is { Length: > 0 } dir ? [.. BuiltIn, .. LoadDirectory(dir)] : BuiltIn;
        var errors = new List<ConfigError>();
        var known = new Dictionary<string, RuleDefinition>(StringComparer.Ordinal);
        var ids = new Dictionary<string, RuleDefinition>(StringComparer.Ordinal);
        foreach (var d in definitions)
        {
            if (!known.TryAdd(d.Name, d))
                errors.Add(new ConfigError("name", d.Origin, $"rule '{d.Name}' is already defined by {known[d.Name].Origin}"));
            else if (!ids.TryAdd(d.Id, d))
                errors.Add(new ConfigError("id", d.Origin, $"rule id '{d.Id}' is already used by {ids[d.Id].Origin}"));
        }

        var overrides = options.Rules ?? [];
        foreach (var (name, ruleOptions) in overrides.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var key = $"correlation.rules.{name}";
            if (!known.TryGetValue(name, out var definition))
            {
                errors.Add(Error(key, $"unknown rule '{name}'; known rules: {string.Join(", ", known.Keys.Order(StringComparer.Ordinal))}"));
                continue;
            }
            if (ruleOptions is null) continue;
            foreach (var option in GivenOptions(ruleOptions))
            {
                if (option is RuleOptionNames.Enabled or RuleOptionNames.Severity || definition.Options.Contains(option)) continue;
                errors.Add(Error($"{key}.{option}",
                    $"rule '{name}' has no option '{option}'; its options: {string.Join(", ", AcceptedOptions(definition))}"));
            }
            foreach (var problem in ruleOptions.Validate())
                errors.Add(Error($"{key}.{problem.Key}", problem.Message));
        }
        if (errors.Count > 0) throw new ConfigException("correlation", errors);

        var resolved = definitions.Select(d => (d, Apply(d.Defaults, overrides.GetValueOrDefault(d.Name)))).ToList();
        // Kind-specific values (hours, time zone) can only be judged once overrides are applied.
        foreach (var (d, s) in resolved)
        {
            var problems = new List<(string Option, string Message)>();
            foreach (var kind in d.Detections.Select(x => x.Kind).Distinct(StringComparer.Ordinal)) RuleKinds.Of(kind).Check(s, problems);
            foreach (var (option, message) in problems)
                errors.Add(Error($"correlation.rules.{d.Name}.{option}", message));
        }
        if (errors.Count > 0) throw new ConfigException("correlation", errors);
        return resolved;
    }

    private static RuleSettings Apply(RuleSettings defaults, RuleOptions? o) => o is null
        ? defaults
        : defaults with
        {
            Enabled = o.Enabled ?? defaults.Enabled,
            Severity = o.Severity ?? defaults.Severity,
            Threshold = o.Threshold ?? defaults.Threshold,
            Window = o.WindowSec is { } seconds ? TimeSpan.FromSeconds(seconds) : defaults.Window,
            MaxKeys = o.MaxKeys ?? defaults.MaxKeys,
            Hours = o.Hours ?? defaults.Hours,
            Days = o.Days ?? defaults.Days,
            TimeZone = o.TimeZone ?? defaults.TimeZone,
            Silent = o.SilentSec is { } silent ? TimeSpan.FromSeconds(silent) : defaults.Silent,
            Collectors = o.Collectors is { } c
                ? new Dictionary<string, TimeSpan>(defaults.Collectors.Concat(c.Select(p => KeyValuePair.Create(p.Key, TimeSpan.FromSeconds(p.Value)))).GroupBy(p => p.Key).Select(g => g.Last()), StringComparer.Ordinal)
                : defaults.Collectors,
            // "or a configured group": the config adds to the rule's own list.
            Groups = o.Groups is { } g ? [.. defaults.Groups, .. g] : defaults.Groups,
        };

    private static IEnumerable<string> GivenOptions(RuleOptions o)
    {
        if (o.Enabled is not null) yield return RuleOptionNames.Enabled;
        if (o.Severity is not null) yield return RuleOptionNames.Severity;
        if (o.Threshold is not null) yield return RuleOptionNames.Threshold;
        if (o.WindowSec is not null) yield return RuleOptionNames.WindowSec;
        if (o.MaxKeys is not null) yield return RuleOptionNames.MaxKeys;
        if (o.Hours is not null) yield return RuleOptionNames.Hours;
        if (o.Days is not null) yield return RuleOptionNames.Days;
        if (o.TimeZone is not null) yield return RuleOptionNames.TimeZone;
        if (o.SilentSec is not null) yield return RuleOptionNames.SilentSec;
        if (o.Collectors is not null) yield return RuleOptionNames.Collectors;
        if (o.Groups is not null) yield return RuleOptionNames.Groups;
    }

    private static IEnumerable<string> AcceptedOptions(RuleDefinition d) =>
        new[] { RuleOptionNames.Enabled, RuleOptionNames.Severity }.Concat(d.Options).Distinct().Order(StringComparer.Ordinal);

    // The catalogue sees bound options, not the YAML, so it cannot name a line; the loader's
    // errors already carry lines for syntax and types, and these keys are unique in the file.
    private static ConfigError Error(string key, string message) => new(key, "correlation.rules", message);

    /// <summary>The descriptor of <paramref name="d"/> with <paramref name="s"/>: what <c>rules list</c> prints.</summary>
    public static RuleDescriptor Descriptor(RuleDefinition d, RuleSettings s)
    {
        var options = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [RuleOptionNames.Enabled] = s.Enabled ? "true" : "false",
            [RuleOptionNames.Severity] = Core.Events.SeverityNames.ToName(s.Severity),
        };
        foreach (var o in d.Options)
        {
            options[o] = o == RuleOptionNames.Collectors
                ? string.Join(", ", s.Collectors.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={(long)p.Value.TotalSeconds}"))
                : IncidentText.Option(s, o) ?? "";
        }
        var filters = d.Detections.Select(x => (x.Label is null ? "" : x.Label + ": ") + RuleKinds.Of(x.Kind).Describe(x, s));
        return new RuleDescriptor
        {
            Id = d.Id,
            Name = d.Name,
            Title = d.Title,
            Severity = s.Severity,
            NistControls = d.NistControls,
            Description = IncidentText.Render(d.Description, n => IncidentText.Option(s, n)),
            Enabled = s.Enabled,
            Kind = d.Kind,
            Origin = d.Origin,
            Filter = string.Join("; ", filters),
            Options = options,
        };
    }

    /// <summary>Builds the rule <paramref name="d"/> defines, with effective settings <paramref name="s"/>.</summary>
    public static IRule Create(RuleDefinition d, RuleSettings s, RuleContext context)
    {
        var descriptor = Descriptor(d, s);
        var detections = d.Detections.Select(x => CreateDetection(x, descriptor, s, context)).ToList();
        return d.Detections.Count == 1 && d.Detections[0].Label is null ? detections[0] : new AnyOfRule(descriptor, detections);
    }

    private static IRule CreateDetection(DetectionDefinition x, RuleDescriptor descriptor, RuleSettings ruleSettings, RuleContext context)
    {
        // Options a detection writes itself are fixed; the others follow the rule (and its override).
        var s = ruleSettings with
        {
            Threshold = x.Threshold ?? ruleSettings.Threshold,
            Window = x.WindowSec is { } w ? TimeSpan.FromSeconds(w) : ruleSettings.Window,
        };
        var kind = RuleKinds.Of(x.Kind);
        var spec = new RuleSpec
        {
            Descriptor = descriptor, Settings = s, Filter = kind.Filter(x, s), GroupBy = x.GroupBy, Title = x.IncidentTitle,
            Summary = x.IncidentDescription, Host = context.Host, Detection = x.Label, Weight = x.Weight,
        };
        return kind.Create(spec, x, context);
    }
}
