using System.Net;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace BlueTeam.Correlation.Declarative;

/// <summary>
/// Reads one declarative rule file, strictly: an unknown key, an unknown field, a bad regex or
/// CIDR, a missing key or a value of the wrong type is a <see cref="ConfigError"/> naming the file,
/// the key and the line. Every problem in the file is reported, not just the first.
/// </summary>
/// <remarks>The format is described in docs/RULES.md.</remarks>
public static partial class RuleFileParser
{
    private static readonly string[] Operators = ["equals", "in", "contains", "regex", "cidr", "exists"];

    private static readonly HashSet<string> RuleKeys = new(StringComparer.Ordinal)
    {
        "id", "name", "title", "description", "severity", "nist_controls", "enabled", "kind", "detections",
        "threshold", "window_sec", "max_keys", "hours", "days", "time_zone", "silent_sec", "collectors", "groups",
    };

    // The keys every detection may write; each kind adds its own (IRuleKind.Keys).
    private static readonly string[] CommonDetectionKeys =
        ["kind", "label", "match", "group_by", "threshold", "window_sec", "weight", "incident_title", "incident_description"];

    private static readonly string[] KindKeys = [.. RuleKinds.All.SelectMany(k => k.Keys).Select(k => k.Key).Distinct()];

    private static readonly HashSet<string> DetectionKeys = new(CommonDetectionKeys.Concat(KindKeys), StringComparer.Ordinal);

    [GeneratedRegex("^[a-z][a-z0-9_]*$")]
    private static partial Regex NamePattern();

    /// <summary>The rule in <paramref name="yaml"/>; throws <see cref="ConfigException"/> (origin = <paramref name="origin"/>) listing every problem.</summary>
    public static RuleDefinition Parse(string yaml, string origin)
    {
        var reader = new Reader(origin);
        var definition = reader.Read(yaml);
        if (reader.Errors.Count > 0 || definition is null) throw new ConfigException(origin, reader.Errors);
        return definition;
    }

    internal sealed class Reader(string origin)
    {
        public List<ConfigError> Errors { get; } = [];
        private readonly Dictionary<string, string> _locations = new(StringComparer.Ordinal);

        private string At(YamlNode node) => $"{origin}:{node.Start.Line}:{node.Start.Column}";
        internal void Error(string key, YamlNode node, string message) => Errors.Add(new ConfigError(key, At(node), message));

        public RuleDefinition? Read(string yaml)
        {
            var stream = new YamlStream();
            try { stream.Load(new StringReader(yaml)); }
            catch (YamlException e)
            {
                Errors.Add(new ConfigError("(syntax)", $"{origin}:{e.Start.Line}:{e.Start.Column}", e.InnerException?.Message ?? e.Message));
                return null;
            }
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            {
                Errors.Add(new ConfigError("(root)", $"{origin}:1", "a rule file is a mapping of keys (id, name, title, severity, kind, match, …)"));
                return null;
            }
            CheckKeys(root, "", RuleKeys.Concat(DetectionKeys).Where(k => k != "label").ToHashSet(StringComparer.Ordinal));

            var name = RequiredString(root, "name");
            if (name is not null && !NamePattern().IsMatch(name)) Error("name", root.Children[new YamlScalarNode("name")], "rule names are lower-case letters, digits and underscores, starting with a letter");
            var id = RequiredString(root, "id");
            var title = RequiredString(root, "title");
            var description = RequiredString(root, "description");
            var kind = OptionalString(root, "kind");
            var severity = Severity.Medium;
            if (RequiredString(root, "severity") is { } sevText && !SeverityNames.TryParse(sevText, out severity))
                Error("severity", Child(root, "severity")!, $"'{sevText}' is not a severity ({SeverityNames.AllNames})");
            var nist = StringList(root, "nist_controls") ?? [];
            if (Child(root, "nist_controls") is null) Error("nist_controls", root, "is required (the NIST SP 800-171 controls the rule supports, e.g. [\"3.14.6\"])");

            var defaults = new RuleSettings
            {
                Enabled = Bool(root, "enabled") ?? true,
                Severity = severity,
                Threshold = Int(root, "threshold", 1, 1_000_000) ?? 1,
                Window = TimeSpan.FromSeconds(Int(root, "window_sec", 1, 7 * 86400) ?? 300),
                MaxKeys = Int(root, "max_keys", 1, 10_000_000) ?? RuleSettings.DefaultMaxKeys,
                Hours = StringList(root, "hours") ?? [],
                Days = StringList(root, "days") ?? [],
                TimeZone = OptionalString(root, "time_zone"),
                Silent = TimeSpan.FromSeconds(Int(root, "silent_sec", 1, 30 * 86400) ?? 3600),
                Collectors = Collectors(root),
                Groups = StringList(root, "groups") ?? [],
            };

            var detections = new List<DetectionDefinition>();
            if (Child(root, "detections") is { } detectionsNode)
            {
                if (kind is not null && kind != "any") Error("kind", Child(root, "kind")!, "a rule with detections has kind any (or no kind)");
                kind = "any";
                foreach (var key in (string[])["match", .. KindKeys, "group_by", "weight", "incident_title", "incident_description"])
                    if (Child(root, key) is { } misplaced) Error(key, misplaced, "belongs inside each detection when the rule has detections");
                if (detectionsNode is YamlSequenceNode seq && seq.Children.Count > 0)
                {
                    for (var i = 0; i < seq.Children.Count; i++)
                    {
                        if (seq.Children[i] is not YamlMappingNode d) { Error($"detections[{i}]", seq.Children[i], "expected a mapping"); continue; }
                        CheckKeys(d, $"detections[{i}]", DetectionKeys);
                        var label = RequiredString(d, "label", $"detections[{i}]");
                        if (ReadDetection(d, $"detections[{i}]", OptionalString(d, "kind"), label, requireKind: true) is { } det) detections.Add(det);
                    }
                    if (detections.Select(d => d.Label).Distinct().Count() != detections.Count) Error("detections", detectionsNode, "detection labels must be unique");
                }
                else Error("detections", detectionsNode, "expected a non-empty list of detections");
            }
            else
            {
                if (kind is null) Error("kind", root, $"is required: one of {RuleKinds.Names}");
                else if (ReadDetection(root, "", kind, null, requireKind: false) is { } det) detections.Add(det);
            }

            var kinds = detections.Select(d => d.Kind).ToHashSet(StringComparer.Ordinal);
            var options = new HashSet<string>(StringComparer.Ordinal);
            foreach (var k in kinds) options.UnionWith(RuleKinds.Of(k).Options);
            if (detections.Any(UsesGroups)) options.Add(RuleOptionNames.Groups);
            if (Errors.Count == 0)
            {
                var problems = new List<(string Option, string Message)>();
                foreach (var k in kinds) RuleKinds.Of(k).Check(defaults, problems);
                foreach (var (option, message) in problems) Error(option, Child(root, option.Split('[')[0]) ?? root, message);
            }
            foreach (var (key, node) in root.Children)
            {
                var text = ((YamlScalarNode)key).Value ?? "";
                if (text is "threshold" or "window_sec" or "max_keys" or "hours" or "days" or "time_zone" or "silent_sec" or "collectors" or "groups"
                    && !options.Contains(text) && detections.Count > 0 && kind == "any")
                    Error(text, node, $"no detection of this rule reads {text}");
            }

            if (Errors.Count > 0) return null;
            return new RuleDefinition
            {
                Origin = origin, Id = id!, Name = name!, Title = title!, Description = description!, NistControls = nist,
                Kind = kind!, Defaults = defaults, Options = options, Detections = detections, Locations = _locations,
            };
        }

        private static bool UsesGroups(DetectionDefinition d) =>
            RuleKinds.Of(d.Kind).Matches(d).Any(m => m.Conditions.Any(c => c.Values.Contains(ConditionDefinition.GroupsReference)));

        private DetectionDefinition? ReadDetection(YamlMappingNode map, string prefix, string? kindName, string? label, bool requireKind)
        {
            string P(string key) => prefix.Length == 0 ? key : $"{prefix}.{key}";
            if (kindName is null)
            {
                if (requireKind) Error(P("kind"), map, $"is required: one of {RuleKinds.Names}");
                return null;
            }
            if (RuleKinds.Find(kindName) is not { } kind)
            {
                Error(P("kind"), Child(map, "kind")!, $"unknown kind '{kindName}'; kinds: {RuleKinds.Names}");
                return null;
            }
            var before = Errors.Count;
            var match = MatchDefinition.Empty;
            if (kind.HasMatch)
            {
                if (Child(map, "match") is { } m) match = Match(m, P("match"));
                else Error(P("match"), map, "is required: the conditions an event must meet (an empty mapping {} matches every event)");
            }
            foreach (var other in RuleKinds.All)
            {
                if (ReferenceEquals(other, kind)) continue;
                foreach (var owned in other.Keys)
                    if (!kind.Keys.Any(k => k.Key == owned.Key) && Child(map, owned.Key) is { } n) Error(P(owned.Key), n, owned.Elsewhere);
            }
            var groupBy = new List<EventField>();
            if (StringList(map, "group_by", prefix) is { } names)
            {
                for (var i = 0; i < names.Count; i++)
                {
                    if (EventField.TryResolve(names[i], out var f, out var error)) groupBy.Add(f);
                    else Error($"{P("group_by")}[{i}]", Child(map, "group_by")!, error);
                }
            }
            else Error(P("group_by"), map, "is required: the fields whose values make one key (e.g. [source.address])");
            var parameters = kind.Read(new DetectionReader(this, map, prefix, groupBy));

            var weight = new List<EventField>();
            if (Child(map, "weight") is { } weightNode)
            {
                if (!kind.Weighted)
                    Error(P("weight"), weightNode, $"only {WeightedKindNames()} rules count events with a weight");
                else if (StringList(map, "weight", prefix) is { } weightNames)
                {
                    for (var i = 0; i < weightNames.Count; i++)
                    {
                        if (EventField.TryResolve(weightNames[i], out var f, out var error)) weight.Add(f);
                        else Error($"{P("weight")}[{i}]", weightNode, error);
                    }
                }
            }

            var incidentTitle = RequiredString(map, "incident_title", prefix);
            var incidentDescription = OptionalString(map, "incident_description");
            foreach (var (key, text) in new[] { ("incident_title", incidentTitle), ("incident_description", incidentDescription) })
            {
                if (text is null) continue;
                foreach (var placeholder in IncidentText.Names(text))
                    if (!IncidentText.StatNames.Contains(placeholder) && !EventField.TryResolve(placeholder, out _, out _))
                        Error(P(key), Child(map, key)!, $"unknown placeholder {{{placeholder}}}; use a field name or one of {string.Join(", ", IncidentText.StatNames.Order(StringComparer.Ordinal))}");
            }

            int? threshold = null, windowSec = null;
            if (prefix.Length > 0)
            {
                threshold = Int(map, "threshold", 1, 1_000_000, prefix);
                windowSec = Int(map, "window_sec", 1, 7 * 86400, prefix);
            }
            if (Errors.Count > before) return null;
            return new DetectionDefinition
            {
                Kind = kind.Name, Label = label, Match = match, Parameters = parameters, GroupBy = groupBy, Weight = weight,
                Threshold = threshold, WindowSec = windowSec, IncidentTitle = incidentTitle!, IncidentDescription = incidentDescription,
            };
        }

        private static string WeightedKindNames()
        {
            var names = RuleKinds.All.Where(k => k.Weighted).Select(k => k.Name).ToList();
            return names.Count == 1 ? names[0] : $"{string.Join(", ", names[..^1])} and {names[^1]}";
        }

        internal MatchDefinition Step(YamlMappingNode map, string key, string path)
        {
            if (Child(map, key) is not { } node) { Error(path, map, "is required for a sequence"); return MatchDefinition.Empty; }
            if (node is not YamlMappingNode step) { Error(path, node, "expected a mapping with a match key"); return MatchDefinition.Empty; }
            CheckKeys(step, path, new HashSet<string>(StringComparer.Ordinal) { "match" });
            if (Child(step, "match") is not { } m) { Error($"{path}.match", step, "is required"); return MatchDefinition.Empty; }
            return Match(m, $"{path}.match");
        }

        private MatchDefinition Match(YamlNode node, string path)
        {
            if (node is not YamlMappingNode map) { Error(path, node, "expected a mapping of field: condition"); return MatchDefinition.Empty; }
            var conditions = new List<ConditionDefinition>();
            foreach (var (keyNode, valueNode) in map.Children)
            {
                var fieldName = ((YamlScalarNode)keyNode).Value ?? "";
                var key = $"{path}.{fieldName}";
                _locations[key] = At(keyNode);
                if (!EventField.TryResolve(fieldName, out var field, out var error)) { Error(key, keyNode, error); continue; }
                switch (valueNode)
                {
                    case YamlScalarNode scalar:
                        conditions.Add(new ConditionDefinition(field, "equals", [scalar.Value ?? ""], false, false));
                        break;
                    case YamlSequenceNode seq:
                        if (Scalars(seq, key) is { } list) conditions.Add(new ConditionDefinition(field, "in", list, false, false));
                        break;
                    case YamlMappingNode ops:
                        conditions.AddRange(Operations(field, ops, key));
                        break;
                }
            }
            return new MatchDefinition(conditions);
        }

        private List<ConditionDefinition> Operations(EventField field, YamlMappingNode ops, string key)
        {
            var ignoreCase = false;
            if (Child(ops, "ignore_case") is { } ic)
            {
                if (ic is YamlScalarNode { Value: "true" or "false" } s) ignoreCase = s.Value == "true";
                else Error($"{key}.ignore_case", ic, "expected true or false");
            }
            var found = new List<ConditionDefinition>();
            foreach (var (opNode, valueNode) in ops.Children)
            {
                var op = ((YamlScalarNode)opNode).Value ?? "";
                if (op == "ignore_case") continue;
                var path = $"{key}.{op}";
                var negate = op.StartsWith("not_", StringComparison.Ordinal);
                var bare = negate ? op[4..] : op;
                if (!Operators.Contains(bare))
                {
                    Error(path, opNode, $"unknown operator '{op}'; operators: {string.Join(", ", Operators)}, ignore_case, and not_<operator>");
                    continue;
                }
                List<string>? values = valueNode switch
                {
                    YamlScalarNode s => [s.Value ?? ""],
                    YamlSequenceNode seq => Scalars(seq, path),
                    _ => null,
                };
                if (values is null || values.Count == 0) { Error(path, valueNode, "expected a value or a non-empty list of values"); continue; }
                if (bare is "equals" or "exists" && values.Count != 1) { Error(path, valueNode, $"{bare} takes one value"); continue; }
                if (bare == "exists" && values[0] is not ("true" or "false")) { Error(path, valueNode, "expected true or false"); continue; }
                if (values.Contains(ConditionDefinition.GroupsReference) && bare != "in") { Error(path, valueNode, "$groups may only be used in an in list"); continue; }
                var ok = true;
                foreach (var v in values)
                {
                    if (bare == "regex")
                    {
                        try { _ = new RegexMatcher(v, ignoreCase); }
                        catch (Exception e) when (e is ArgumentException or NotSupportedException)
                        {
                            Error(path, valueNode, $"invalid regular expression '{v}': {e.Message}");
                            ok = false;
                        }
                    }
                    else if (bare == "cidr" && !IPNetwork.TryParse(v, out _))
                    {
                        Error(path, valueNode, $"'{v}' is not a CIDR network (e.g. 10.0.0.0/8, 2001:db8::/32) with no host bits set");
                        ok = false;
                    }
                }
                if (ok) found.Add(new ConditionDefinition(field, bare, values, ignoreCase, negate));
            }
            return found;
        }

        private void CheckKeys(YamlMappingNode map, string path, HashSet<string> allowed)
        {
            foreach (var (keyNode, valueNode) in map.Children)
            {
                var key = (keyNode as YamlScalarNode)?.Value ?? "";
                var full = path.Length == 0 ? key : $"{path}.{key}";
                if (!allowed.Contains(key)) Error(full, keyNode, $"unknown key; expected one of: {string.Join(", ", allowed.Order(StringComparer.Ordinal))}");
                else _locations[full] = At(valueNode);
            }
        }

        internal static YamlNode? Child(YamlMappingNode map, string key) =>
            map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node : null;

        private string? RequiredString(YamlMappingNode map, string key, string prefix = "")
        {
            var path = prefix.Length == 0 ? key : $"{prefix}.{key}";
            if (Child(map, key) is not { } node) { Error(path, map, "is required"); return null; }
            if (node is YamlScalarNode { Value: { Length: > 0 } v }) return v;
            Error(path, node, "expected a non-empty text value");
            return null;
        }

        private string? OptionalString(YamlMappingNode map, string key)
        {
            if (Child(map, key) is not { } node) return null;
            if (node is YamlScalarNode { Value: { Length: > 0 } v }) return v;
            Error(key, node, "expected a non-empty text value");
            return null;
        }

        internal bool? Bool(YamlMappingNode map, string key, string prefix = "")
        {
            if (Child(map, key) is not { } node) return null;
            if (node is YamlScalarNode { Value: "true" or "false" } s) return s.Value == "true";
            Error(prefix.Length == 0 ? key : $"{prefix}.{key}", node, "expected true or false");
            return null;
        }

        internal int? Int(YamlMappingNode map, string key, int min, int max, string prefix = "")
        {
            if (Child(map, key) is not { } node) return null;
            if (node is YamlScalarNode s && int.TryParse(s.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) && i >= min && i <= max) return i;
            Error(prefix.Length == 0 ? key : $"{prefix}.{key}", node, $"expected a whole number from {min} to {max}");
            return null;
        }

        private List<string>? StringList(YamlMappingNode map, string key, string prefix = "")
        {
            if (Child(map, key) is not { } node) return null;
            var path = prefix.Length == 0 ? key : $"{prefix}.{key}";
            if (node is YamlSequenceNode seq) return Scalars(seq, path);
            Error(path, node, "expected a list");
            return null;
        }

        private List<string>? Scalars(YamlSequenceNode seq, string path)
        {
            var list = new List<string>();
            for (var i = 0; i < seq.Children.Count; i++)
            {
                if (seq.Children[i] is YamlScalarNode { Value: { } v }) list.Add(v);
                else { Error($"{path}[{i}]", seq.Children[i], "expected a text value"); return null; }
            }
            return list;
        }

        internal EventField? FieldOf(YamlMappingNode map, string key, string path, bool required)
        {
            if (Child(map, key) is not { } node)
            {
                if (required) Error(path, map, "is required (a field name)");
                return null;
            }
            if (node is not YamlScalarNode { Value: { } name }) { Error(path, node, "expected a field name"); return null; }
            if (EventField.TryResolve(name, out var f, out var error)) return f;
            Error(path, node, error);
            return null;
        }

        private Dictionary<string, TimeSpan> Collectors(YamlMappingNode root)
        {
            var result = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
            if (Child(root, "collectors") is not { } node) return result;
            if (node is not YamlMappingNode map) { Error("collectors", node, "expected a mapping of collector: seconds"); return result; }
            foreach (var (k, v) in map.Children)
            {
                var name = ((YamlScalarNode)k).Value ?? "";
                if (v is YamlScalarNode s && int.TryParse(s.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var sec) && sec is >= 1 and <= 30 * 86400)
                    result[name] = TimeSpan.FromSeconds(sec);
                else Error($"collectors.{name}", v, "expected seconds from 1 to 2592000");
            }
            return result;
        }
    }
}
