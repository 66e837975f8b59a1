namespace BlueTeam.Core.Config;

/// <summary>
/// Where each key of a loaded config was written (file:line:column, or the environment variable that set it), kept
/// with the config so that problems found after loading — a route naming a channel that does not exist, a rule
/// option a rule kind refuses — point at the line to fix like the loader's own errors do.
/// </summary>
public sealed class ConfigLocations
{
    private readonly Func<string, string?> _exact;

    internal ConfigLocations(Func<string, string?> exact) => _exact = exact;

    /// <summary>For a config that was not read from text (built in code, tests): no key has a place.</summary>
    public static ConfigLocations None { get; } = new(_ => null);

    /// <summary>
    /// Where <paramref name="key"/> was written: the key itself, else its list (<c>routes[0]</c> for
    /// <c>routes[0].channels[1]</c>), else its nearest parent that was written; null when none was (a default).
    /// </summary>
    public string? Of(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_exact(key) is { } exact) return exact;
        for (var cut = LastSeparator(key); cut > 0; cut = LastSeparator(key[..cut]))
            if (_exact(key[..cut]) is { } parent) return parent;
        return null;
    }

    /// <summary>
    /// <paramref name="e"/> with each error that names a key but no place given that key's place in this config
    /// (errors that already carry a place, and keys never written, stay as they are).
    /// </summary>
    public ConfigException Locate(ConfigException e, string origin)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.Errors.Count == 0) return e;
        var located = e.Errors.Select(error => HasPlace(error.Location) ? error : error with { Location = Of(error.Key) ?? error.Location }).ToList();
        return new ConfigException(origin, located);
    }

    // "file:12:5" or "environment X": a place; "alerting.routing" (a section name used as origin): not one.
    private static bool HasPlace(string location) =>
        location.StartsWith("environment ", StringComparison.Ordinal) || (location.LastIndexOf(':') is var colon and > 0 && colon < location.Length - 1 && char.IsAsciiDigit(location[^1]));

    private static int LastSeparator(string key) => Math.Max(key.LastIndexOf('.'), key.LastIndexOf('['));
}
