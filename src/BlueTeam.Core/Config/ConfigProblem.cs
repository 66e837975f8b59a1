namespace BlueTeam.Core.Config;

/// <summary>A problem found in a config value; Key is relative to the object that reported it.</summary>
public readonly record struct ConfigProblem(string Key, string Message);

/// <summary>Options classes check their own values; the loader adds the key prefix and the line.</summary>
public interface IValidatable
{
    IEnumerable<ConfigProblem> Validate();
}

/// <summary>A property that is not a config key.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ConfigIgnoreAttribute : Attribute;

/// <summary>A value never printed: `config show` and every error message mask it.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ConfigSecretAttribute : Attribute;

/// <summary>
/// A value that may carry a secret inside it, printed with that part masked: the password of a
/// connection string, the user info of a URL, the values (not the names) of a header map.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ConfigSecretPartsAttribute : Attribute;

/// <summary>One error with where it is: the full dotted key and a line of the file (or the environment variable).</summary>
public sealed record ConfigError(string Key, string Location, string Message)
{
    public override string ToString() => $"{Location}: {Key}: {Message}";
}

/// <summary>The config was refused; every problem found is listed, not just the first.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(string origin, IReadOnlyList<ConfigError> errors)
        : base($"invalid configuration ({origin}):" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  " + e)))
    {
        Origin = origin;
        Errors = errors;
    }

    public ConfigException() : this("unknown", []) { }
    public ConfigException(string message) : base(message) { Origin = "unknown"; Errors = []; }
    public ConfigException(string message, Exception inner) : base(message, inner) { Origin = "unknown"; Errors = []; }

    public string Origin { get; } = "unknown";
    public IReadOnlyList<ConfigError> Errors { get; } = [];
}
