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

    /// <summary>
    /// The log format whose collectors read with this transport when they name none (journal entries come only
    /// from journald); null for a transport that reads lines of any format.
    /// </summary>
    string? ImpliedByFormat => null;

    /// <summary>Problems with the collector keys this transport reads; keys relative to the collector (<c>paths</c>).</summary>
    IEnumerable<ConfigProblem> Validate(CollectorOptions options) => [];

    ISource Create(string collector, CollectorOptions options, SourceContext context);
}

/// <summary>The registered transports, looked up by <see cref="TransportOf"/> a collector.</summary>
public sealed class SourceTransports
{
    /// <summary>The transport of a collector that names none and whose format no transport claims.</summary>
    public const string DefaultTransport = "file";

    private readonly Dictionary<string, ISourceTransport> _byName;
    private readonly Dictionary<string, string> _byImpliedFormat;

    public SourceTransports(IEnumerable<ISourceTransport> transports)
    {
        _byName = transports.ToDictionary(t => t.Name, StringComparer.Ordinal);
        _byImpliedFormat = _byName.Values.Where(t => t.ImpliedByFormat is not null).ToDictionary(t => t.ImpliedByFormat!, t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The transports blueteam ships: one line each.</summary>
    public static SourceTransports Default { get; } = new(
    [
        new FileTransport(),
        new JournaldTransport(),
        new StdinTransport(),
    ]);

    public IEnumerable<string> Names => _byName.Keys.Order(StringComparer.Ordinal);

    /// <summary>The transport <paramref name="options"/> reads with: its <c>transport</c>, else the one its format implies, else file.</summary>
    public string TransportOf(CollectorOptions options) =>
        options.Transport ?? _byImpliedFormat.GetValueOrDefault(options.Type) ?? DefaultTransport;

    /// <summary>Builds the collector's source; an unknown transport is a config error named with the known ones.</summary>
    public ISource Create(string collector, CollectorOptions options, SourceContext context)
    {
        Check(new Dictionary<string, CollectorOptions> { [collector] = options });
        return _byName[TransportOf(options)].Create(collector, options, context);
    }

    /// <summary>Refuses the collectors that <see cref="Problems"/> finds (run by <c>config check</c> and at start).</summary>
    public void Check(IReadOnlyDictionary<string, CollectorOptions> collectors)
    {
        if (Problems(collectors) is { Count: > 0 } errors) throw new ConfigException("collectors", errors);
    }

    /// <summary>The enabled collectors whose transport is not registered or whose keys their transport refuses, all at once.</summary>
    public IReadOnlyList<ConfigError> Problems(IReadOnlyDictionary<string, CollectorOptions> collectors)
    {
        var errors = new List<ConfigError>();
        foreach (var (name, options) in collectors)
        {
            if (!options.Enabled) continue;
            var transport = TransportOf(options);
            if (!_byName.TryGetValue(transport, out var found))
            {
                errors.Add(new ConfigError($"collectors.{name}.transport", "config",
                    $"unknown transport '{Core.Text.SafeText.Inert(transport, 32)}' (known: {string.Join(", ", Names)})"));
                continue;
            }
            errors.AddRange(found.Validate(options).Select(p => new ConfigError($"collectors.{name}.{p.Key}", "config", p.Message)));
        }
        return errors;
    }
}
