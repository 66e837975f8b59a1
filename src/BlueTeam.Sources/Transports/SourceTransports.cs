namespace BlueTeam.Sources.Transports;

/// <summary>What a transport needs to build a source: checkpoints, a logger for the collector, and time.</summary>
public sealed record SourceContext(ICheckpointStore Checkpoints, ILogger Logger, TimeProvider Time);

/// <summary>
/// One way of reading lines (a file tailer, journald, stdin, ...): its name as written in a collector's
/// <c>transport</c>, and how it builds a source. One file per transport, added with one line to
/// <see cref="SourceTransports.Default"/>; nothing else needs to know the concrete type.
/// </summary>
public interface ISourceTransport
{
    string Name { get; }

    ISource Create(string collector, CollectorOptions options, SourceContext context);
}

/// <summary>The registered transports, looked up by a collector's <see cref="CollectorOptions.TransportName"/>.</summary>
public sealed class SourceTransports
{
    private readonly Dictionary<string, ISourceTransport> _byName;

    public SourceTransports(IEnumerable<ISourceTransport> transports) =>
        _byName = transports.ToDictionary(t => t.Name, StringComparer.Ordinal);

    /// <summary>The transports blueteam ships: one line each.</summary>
    public static SourceTransports Default { get; } = new(
    [
        new FileTransport(),
        new JournaldTransport(),
        new StdinTransport(),
    ]);

    public IEnumerable<string> Names => _byName.Keys.Order(StringComparer.Ordinal);

    /// <summary>Builds the collector's source; an unknown transport is a config error named with the known ones.</summary>
    public ISource Create(string collector, CollectorOptions options, SourceContext context)
    {
        Check(new Dictionary<string, CollectorOptions> { [collector] = options });
        return _byName[options.TransportName].Create(collector, options, context);
    }

    /// <summary>Refuses, all at once, the enabled collectors whose transport is not registered (run by <c>config check</c> and at start).</summary>
    public void Check(IReadOnlyDictionary<string, CollectorOptions> collectors)
    {
        var errors = collectors
            .Where(c => c.Value.Enabled && !_byName.ContainsKey(c.Value.TransportName))
            .Select(c => new ConfigError($"collectors.{c.Key}.transport", "config",
                $"unknown transport '{Core.Text.SafeText.Inert(c.Value.TransportName, 32)}' (known: {string.Join(", ", Names)})"))
            .ToList();
        if (errors.Count > 0) throw new ConfigException("collectors", errors);
    }
}
