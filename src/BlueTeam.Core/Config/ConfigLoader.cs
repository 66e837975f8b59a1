using System.Collections;
using System.Reflection;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace BlueTeam.Core.Config;

/// <summary>
/// Finds, reads, overrides from the environment and validates the config. The daemon and
/// `blueteam config check` both call <see cref="Load"/>, so a config that passes the check
/// starts the daemon.
/// </summary>
public static class ConfigLoader
{
    public const string EnvFile = "BLUETEAM_CONFIG";
    public const string EnvPrefix = "BLUETEAM__";

    /// <summary>The config file to read: --config, then $BLUETEAM_CONFIG, then /etc/blueteam/blueteam.yaml, else null (defaults).</summary>
    public static string? Locate(string? explicitPath, IDictionary? environment = null)
    {
        if (!string.IsNullOrEmpty(explicitPath)) return explicitPath;
        environment ??= Environment.GetEnvironmentVariables();
        if (environment[EnvFile] is string fromEnv && fromEnv.Length > 0) return fromEnv;
        return File.Exists(DefaultPaths.SystemConfig) ? DefaultPaths.SystemConfig : null;
    }

    /// <summary>Loads and validates; throws <see cref="ConfigException"/> listing every problem.</summary>
    public static BlueTeamConfig Load(string? explicitPath, IDictionary? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariables();
        var path = Locate(explicitPath, environment);
        string? text = null;
        if (path is not null)
        {
            try { text = File.ReadAllText(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ConfigException(path, [new ConfigError("(file)", path, $"cannot read the config file: {e.Message}")]);
            }
        }
        var config = Parse(text ?? "", path ?? "built-in defaults", environment);
        return config;
    }

    /// <summary>Parses YAML text (empty = all defaults), applies BLUETEAM__ overrides and validates.</summary>
    public static BlueTeamConfig Parse(string yaml, string origin, IDictionary? environment = null)
    {
        var root = ReadRoot(yaml, origin);
        var envNodes = new Dictionary<YamlNode, string>(ReferenceEqualityComparer.Instance);
        ApplyEnvironment(root, environment ?? new Hashtable(), envNodes);

        string Locate(YamlNode node) =>
            envNodes.TryGetValue(node, out var variable) ? $"environment {variable}" : $"{origin}:{node.Start.Line}:{node.Start.Column}";

        var binder = new ConfigBinder(Locate);
        var config = new BlueTeamConfig { Origin = origin, Locations = new ConfigLocations(binder.LocationOf) };
        binder.BindObject(config, root, "");
        var errors = new List<ConfigError>(binder.Errors);
        if (errors.Count == 0) Validate(config, "", config.Locations, origin, errors);
        if (errors.Count > 0) throw new ConfigException(origin, errors);
        return config;
    }

    private static YamlMappingNode ReadRoot(string yaml, string origin)
    {
        if (string.IsNullOrWhiteSpace(yaml)) return new YamlMappingNode();
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlException e)
        {
            throw new ConfigException(origin, [new ConfigError("(syntax)", $"{origin}:{e.Start.Line}:{e.Start.Column}", e.InnerException?.Message ?? e.Message)]);
        }
        if (stream.Documents.Count == 0) return new YamlMappingNode();
        return stream.Documents[0].RootNode switch
        {
            YamlMappingNode map => map,
            YamlScalarNode { Value: null or "" } => new YamlMappingNode(),
            var other => throw new ConfigException(origin, [new ConfigError("(root)", $"{origin}:{other.Start.Line}:{other.Start.Column}", "the config must be a mapping of keys")]),
        };
    }

    /// <summary>BLUETEAM__ALERTING__EMAIL__SMTP_PASSWORD=x sets alerting.email.smtp_password: x.</summary>
    private static void ApplyEnvironment(YamlMappingNode root, IDictionary environment, Dictionary<YamlNode, string> envNodes)
    {
        var keys = environment.Keys.OfType<string>().Where(k => k.StartsWith(EnvPrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal);
        foreach (var variable in keys)
        {
            var segments = variable[EnvPrefix.Length..].Split("__").Select(s => s.ToLowerInvariant()).ToArray();
            if (segments.Any(s => s.Length == 0)) continue;
            var map = root;
            for (var i = 0; i < segments.Length - 1; i++)
            {
                var key = new YamlScalarNode(segments[i]);
                if (map.Children.TryGetValue(key, out var child) && child is YamlMappingNode childMap) map = childMap;
                else
                {
                    var created = new YamlMappingNode();
                    envNodes[created] = variable;
                    map.Children[key] = created;
                    map = created;
                }
            }
            var leafKey = new YamlScalarNode(segments[^1]);
            envNodes[leafKey] = variable;
            var leaf = new YamlScalarNode(environment[variable] as string ?? "");
            envNodes[leaf] = variable;
            map.Children.Remove(leafKey);
            map.Children.Add(leafKey, leaf);
        }
    }

    private static void Validate(object options, string path, ConfigLocations locations, string origin, List<ConfigError> errors)
    {
        if (options is IValidatable v)
        {
            foreach (var p in v.Validate())
            {
                var key = path.Length == 0 ? p.Key : $"{path}.{p.Key}";
                errors.Add(new ConfigError(key, locations.Of(key) ?? origin, p.Message));
            }
        }
        foreach (var (name, prop) in ConfigBinder.PropertiesOf(options.GetType()))
        {
            var value = prop.GetValue(options);
            var childPath = path.Length == 0 ? name : $"{path}.{name}";
            switch (value)
            {
                case null or string: break;
                case IDictionary dict:
                    foreach (DictionaryEntry e in dict)
                        if (e.Value is not null && IsOptionsObject(e.Value.GetType()))
                            Validate(e.Value, $"{childPath}.{KeyText(e.Key)}", locations, origin, errors);
                    break;
                default:
                    if (IsOptionsObject(value.GetType())) Validate(value, childPath, locations, origin, errors);
                    break;
            }
        }
        ValidatePlugins(options, path, locations, origin, errors);
    }

    private static void ValidatePlugins(object options, string path, ConfigLocations locations, string origin, List<ConfigError> errors)
    {
        if (options is not IPluginSection section) return;
        foreach (var key in section.PluginKeys)
            if (section.PluginOptions(key) is { } plugin)
                Validate(plugin, path.Length == 0 ? key : $"{path}.{key}", locations, origin, errors);
    }

    private static string KeyText(object key) => key is Enum e ? ConfigBinder.ToSnakeCase(e.ToString()) : key.ToString() ?? "";

    private static bool IsOptionsObject(Type t) => t.IsClass && t != typeof(string) && !typeof(IEnumerable).IsAssignableFrom(t)
        && t.Namespace == typeof(ConfigLoader).Namespace;

    /// <summary>Every key with its effective value, secrets masked: what `config show` prints.</summary>
    public static IEnumerable<(string Key, string Value)> Flatten(object options, string path = "")
    {
        foreach (var (name, prop) in ConfigBinder.PropertiesOf(options.GetType()).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var key = path.Length == 0 ? name : $"{path}.{name}";
            var value = prop.GetValue(options);
            if (prop.GetCustomAttribute<ConfigSecretAttribute>() is not null)
            {
                yield return (key, value is null ? "(unset)" : "********");
                continue;
            }
            if (value is not null && prop.GetCustomAttribute<ConfigSecretPartsAttribute>() is not null)
            {
                if (value is IDictionary secretValues)
                    foreach (DictionaryEntry e in secretValues) yield return ($"{key}.{KeyText(e.Key)}", e.Value is null ? "(unset)" : "********");
                else yield return (key, SecretMask.Mask(FormatValue(value)));
                continue;
            }
            switch (value)
            {
                case null: yield return (key, "(unset)"); break;
                case string s: yield return (key, s); break;
                case IDictionary dict:
                    foreach (DictionaryEntry e in dict)
                    {
                        var entryKey = $"{key}.{KeyText(e.Key)}";
                        if (e.Value is not null && IsOptionsObject(e.Value.GetType()))
                            foreach (var pair in Flatten(e.Value, entryKey)) yield return pair;
                        else yield return (entryKey, FormatValue(e.Value));
                    }
                    break;
                case IEnumerable list: yield return (key, "[" + string.Join(", ", list.Cast<object>().Select(FormatValue)) + "]"); break;
                default:
                    if (IsOptionsObject(value.GetType())) foreach (var pair in Flatten(value, key)) yield return pair;
                    else yield return (key, FormatValue(value));
                    break;
            }
        }
        if (options is IPluginSection section)
            foreach (var plugin in section.PluginKeys)
                if (section.PluginOptions(plugin) is { } pluginOptions)
                    foreach (var pair in Flatten(pluginOptions, path.Length == 0 ? plugin : $"{path}.{plugin}")) yield return pair;
    }

    private static string FormatValue(object? v) => v switch
    {
        null => "(unset)",
        bool b => b ? "true" : "false",
        Enum e => ConfigBinder.ToSnakeCase(e.ToString()),
        IEnumerable list and not string => "[" + string.Join(", ", list.Cast<object>().Select(FormatValue)) + "]",
        _ => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}
