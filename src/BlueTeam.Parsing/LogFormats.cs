using BlueTeam.Core.Config;
using BlueTeam.Core.Text;

namespace BlueTeam.Parsing;

/// <summary>
/// One log format (auth, audit, access, json, journald, ...): its name as written in a collector's <c>type</c>,
/// its parser, the checks of the collector keys it gives meaning to, and how its lines look to a scan that
/// names no format. One file per format (beside its parser), added with one line to <see cref="LogFormats.Default"/>;
/// nothing else needs to know the format.
/// </summary>
public interface ILogFormat
{
    string Name { get; }

    /// <summary>A new parser: some keep state across lines (auditd's records), so each registry gets its own.</summary>
    ILogParser CreateParser();

    /// <summary>Problems with the collector keys this format reads; keys relative to the collector (<c>fields.user</c>).</summary>
    IEnumerable<ConfigProblem> Validate(CollectorOptions options) => [];

    /// <summary>
    /// Whether <paramref name="line"/> has this format's shape, for <c>scan</c> and <c>explain</c> when no format is
    /// named. A format that its lines do not tell apart (journal entries are JSON) says false.
    /// </summary>
    bool LooksLike(ReadOnlySpan<char> line) => false;
}

/// <summary>The registered log formats, looked up by a collector's <see cref="CollectorOptions.Type"/>.</summary>
public sealed class LogFormats
{
    private const int DetectionSample = 50;
    private readonly ILogFormat[] _formats;
    private readonly Dictionary<string, ILogFormat> _byName;

    /// <summary>The formats in <paramref name="formats"/>' order: detection gives a line to the first whose shape it has.</summary>
    public LogFormats(IEnumerable<ILogFormat> formats)
    {
        _formats = [.. formats];
        _byName = new Dictionary<string, ILogFormat>(StringComparer.Ordinal);
        foreach (var format in _formats)
            if (!string.Equals(format.Name, format.Name.ToLowerInvariant(), StringComparison.Ordinal))
                throw new ArgumentException($"the format name '{format.Name}' is not lower case (a collector's type is read lower-cased)", nameof(formats));
            else if (!_byName.TryAdd(format.Name, format))
                throw new ArgumentException($"two formats registered as '{format.Name}'", nameof(formats));
    }

    /// <summary>
    /// The formats blueteam ships: one line each. Audit and json come first because their lines are the easiest
    /// to tell (<c>type=… msg=audit(</c>, an opening brace), then syslog, then the access log.
    /// </summary>
    public static LogFormats Default { get; } = new(
    [
        new Audit.AuditLogFormat(),
        new App.AppJsonFormat(),
        new Auth.AuthLogFormat(),
        new Web.AccessLogFormat(),
        new Journal.JournalFormat(),
    ]);

    public IEnumerable<string> Names => _byName.Keys.Order(StringComparer.Ordinal);

    public bool IsRegistered(string name) => _byName.ContainsKey(name);

    /// <summary>A parser for each registered format (a new set per call: see <see cref="ILogFormat.CreateParser"/>).</summary>
    public IEnumerable<ILogParser> CreateParsers() => _formats.Select(f => f.CreateParser());

    /// <summary>
    /// The enabled collectors whose format is not registered or whose keys their format refuses, all at once.
    /// Checked when a config is loaded, by <c>config check</c> and at a reload; keys are full
    /// (<c>collectors.web.type</c>) so that <see cref="ConfigLocations.Locate"/> can point at the line.
    /// </summary>
    public IReadOnlyList<ConfigError> Problems(IReadOnlyDictionary<string, CollectorOptions> collectors)
    {
        var errors = new List<ConfigError>();
        foreach (var (name, options) in collectors)
        {
            if (!options.Enabled) continue;
            if (!_byName.TryGetValue(options.Type, out var format))
            {
                errors.Add(new ConfigError($"collectors.{name}.type", "config",
                    $"unknown format '{SafeText.Inert(options.Type, 32)}' (known: {string.Join(", ", Names)})"));
                continue;
            }
            errors.AddRange(format.Validate(options).Select(p => new ConfigError($"collectors.{name}.{p.Key}", "config", p.Message)));
        }
        return errors;
    }

    /// <summary>
    /// Guesses a file's format from its first lines (for ad-hoc scans): each of the first 50 non-empty lines counts
    /// for the first format whose shape it has. Null when no format wins a majority of them.
    /// </summary>
    public string? Detect(string firstLines)
    {
        if (string.IsNullOrEmpty(firstLines)) return null;
        var counts = new int[_formats.Length];
        var total = 0;
        foreach (var raw in firstLines.AsSpan().EnumerateLines())
        {
            var line = raw.TrimEnd('\r');
            if (line.IsWhiteSpace()) continue;
            if (++total > DetectionSample) break;
            for (var i = 0; i < _formats.Length; i++)
                if (_formats[i].LooksLike(line)) { counts[i]++; break; }
        }
        if (total == 0) return null;
        var best = Array.IndexOf(counts, counts.Max());
        return counts[best] * 2 > Math.Min(total, DetectionSample) ? _formats[best].Name : null;
    }
}
