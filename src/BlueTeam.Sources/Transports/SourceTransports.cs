using BlueTeam.Core.Config;
using Microsoft.Extensions.Logging;

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
    public ISource Create(string collector, CollectorOptions options, SourceContext context) =>
        _byName.TryGetValue(options.TransportName, out var transport)
            ? transport.Create(collector, options, context)
            : throw new InvalidOperationException($"collectors.{collector}.transport: unknown transport '{Core.Text.SafeText.Inert(options.TransportName, 32)}' (known: {string.Join(", ", Names)})");
}
