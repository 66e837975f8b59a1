using System.Collections;
using System.Globalization;
using System.Reflection;
using YamlDotNet.RepresentationModel;

namespace BlueTeam.Core.Config;

/// <summary>
/// Binds a YAML node tree onto the options classes, strictly: unknown keys, wrong types and
/// impossible values become <see cref="ConfigError"/>s that name the dotted key and the line.
/// </summary>
/// <remarks>
/// Written by hand rather than with YamlDotNet's deserializer so that every error can say which
/// key it is about (the deserializer reports a position only) and so that values coming from
/// environment variables can be named as such.
/// </remarks>
internal sealed class ConfigBinder
{
    private readonly Func<YamlNode, string> _locate;
    private readonly List<ConfigError> _errors = [];
    private readonly Dictionary<string, string> _locations = new(StringComparer.Ordinal);

    public ConfigBinder(Func<YamlNode, string> locate) => _locate = locate;

    public IReadOnlyList<ConfigError> Errors => _errors;

    /// <summary>Where the value of a dotted key was written, or null when it is a default.</summary>
    public string? LocationOf(string key) => _locations.TryGetValue(key, out var l) ? l : null;

    public void BindObject(object target, YamlMappingNode map, string path)
    {
        var props = PropertiesOf(target.GetType());
        foreach (var (keyNode, valueNode) in map.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            var keyPath = Join(path, key);
            if (!props.TryGetValue(key, out var prop))
            {
                if (target is IPluginSection section && section.BindPlugin(key) is { } plugin)
                {
                    _locations[keyPath] = _locate(valueNode);
                    if (valueNode is YamlMappingNode pluginMap) BindObject(plugin, pluginMap, keyPath);
                    else Error(keyPath, valueNode, $"expected a mapping of {key} settings, found a {NodeKind(valueNode)}");
                    continue;
                }
                var known = string.Join(", ", props.Keys.Concat((target as IPluginSection)?.PluginKeys ?? []).Order(StringComparer.Ordinal));
                Error(keyPath, keyNode, $"unknown key; expected one of: {known}");
                continue;
            }
            _locations[keyPath] = _locate(valueNode);
            var current = prop.GetValue(target);
            if (TryConvert(valueNode, prop.PropertyType, keyPath, current, out var value))
                prop.SetValue(target, value);
        }
    }

    private bool TryConvert(YamlNode node, Type type, string path, object? current, out object? value)
    {
        value = null;
        var underlying = Nullable.GetUnderlyingType(type);
        if (node is YamlScalarNode { Value: null or "" or "~" or "null" } nullNode && (underlying is not null || !type.IsValueType) && nullNode.Style == YamlDotNet.Core.ScalarStyle.Plain)
        {
            if (type == typeof(string) || underlying is not null) return true;
        }
        var t = underlying ?? type;

        if (t == typeof(string) || t == typeof(int) || t == typeof(long) || t == typeof(bool) || t == typeof(double) || t.IsEnum)
        {
            if (node is not YamlScalarNode scalar) { Error(path, node, $"expected {Describe(t)}, found a {NodeKind(node)}"); return false; }
            return TryScalar(scalar, t, path, out value);
        }
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(List<>))
        {
            var itemType = t.GetGenericArguments()[0];
            var list = (IList)Activator.CreateInstance(t)!;
            IEnumerable<YamlNode> items;
            if (node is YamlSequenceNode seq) items = seq.Children;
            else if (node is YamlScalarNode s && itemType == typeof(string) && s.Value is not null)
            {
                // A list given as one value (typically from an environment variable): "a, b".
                foreach (var part in s.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)) list.Add(part);
                value = list;
                return true;
            }
            else { Error(path, node, $"expected a list of {Describe(itemType)}, found a {NodeKind(node)}"); return false; }
            var i = 0; var ok = true;
            foreach (var item in items)
            {
                if (TryConvert(item, itemType, $"{path}[{i}]", null, out var v)) list.Add(v); else ok = false;
                i++;
            }
            value = list;
            return ok;
        }
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            if (node is not YamlMappingNode map) { Error(path, node, $"expected a mapping, found a {NodeKind(node)}"); return false; }
            var args = t.GetGenericArguments();
            // A mapping given in the file replaces the default one (collectors: names the collectors
            // to run, it does not add to the built-in auth_log); each entry starts from its defaults.
            var dict = (IDictionary)Activator.CreateInstance(t)!;
            var ok = true;
            foreach (var (k, v) in map.Children)
            {
                var keyText = (k as YamlScalarNode)?.Value ?? "";
                var entryPath = Join(path, keyText);
                _locations[entryPath] = _locate(v);
                if (!TryScalar(k as YamlScalarNode ?? new YamlScalarNode(""), args[0], entryPath, out var keyValue)) { ok = false; continue; }
                var existing = dict.Contains(keyValue!) ? dict[keyValue!] : null;
                if (TryConvert(v, args[1], entryPath, existing, out var entry)) dict[keyValue!] = entry; else ok = false;
            }
            value = dict;
            return ok;
        }
        if (t.IsClass)
        {
            if (node is not YamlMappingNode map) { Error(path, node, $"expected a mapping of {t.Name.Replace("Options", "", StringComparison.Ordinal).ToLowerInvariant()} settings, found a {NodeKind(node)}"); return false; }
            var target = current ?? Activator.CreateInstance(t)!;
            BindObject(target, map, path);
            value = target;
            return true;
        }
        Error(path, node, $"unsupported type {t.Name}");
        return false;
    }

    private bool TryScalar(YamlScalarNode scalar, Type t, string path, out object? value)
    {
        var text = scalar.Value ?? "";
        value = null;
        if (t == typeof(string)) { value = text; return true; }
        if (t == typeof(int))
        {
            if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i)) { value = i; return true; }
        }
        else if (t == typeof(long))
        {
            if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)) { value = l; return true; }
        }
        else if (t == typeof(double))
        {
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) { value = d; return true; }
        }
        else if (t == typeof(bool))
        {
            switch (text.ToLowerInvariant())
            {
                case "true" or "yes" or "on": value = true; return true;
                case "false" or "no" or "off": value = false; return true;
            }
        }
        else if (t == typeof(Severity))
        {
            if (SeverityNames.TryParse(text, out var s)) { value = s; return true; }
        }
        else if (t.IsEnum)
        {
            foreach (var name in Enum.GetNames(t))
                if (string.Equals(ToSnakeCase(name), text, StringComparison.OrdinalIgnoreCase)) { value = Enum.Parse(t, name); return true; }
        }
        Error(path, scalar, $"expected {Describe(t)}, found '{Printable(text)}'");
        return false;
    }

    private void Error(string path, YamlNode node, string message) => _errors.Add(new ConfigError(path, _locate(node), message));

    private static string Describe(Type t)
    {
        if (t == typeof(string)) return "a string";
        if (t == typeof(int) || t == typeof(long)) return "a whole number";
        if (t == typeof(double)) return "a number";
        if (t == typeof(bool)) return "true or false";
        if (t == typeof(Severity)) return "one of " + SeverityNames.AllNames;
        if (t.IsEnum) return "one of " + string.Join(", ", Enum.GetNames(t).Select(ToSnakeCase));
        return t.Name;
    }

    private static string NodeKind(YamlNode node) => node switch
    {
        YamlMappingNode => "mapping",
        YamlSequenceNode => "list",
        _ => "single value",
    };

    private static string Printable(string text) => Text.SafeText.Inert(text, 80);

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    private static readonly Dictionary<Type, Dictionary<string, PropertyInfo>> PropertyCache = [];

    internal static Dictionary<string, PropertyInfo> PropertiesOf(Type t)
    {
        lock (PropertyCache)
        {
            if (PropertyCache.TryGetValue(t, out var cached)) return cached;
            var props = t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.CanWrite && p.GetCustomAttribute<ConfigIgnoreAttribute>() is null)
                .ToDictionary(p => ToSnakeCase(p.Name), StringComparer.Ordinal);
            PropertyCache[t] = props;
            return props;
        }
    }

    internal static string ToSnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0) sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }
}
