namespace BlueTeam.Sources.Transports;

/// <summary>Reads the systemd journal through journalctl with its cursor; see <see cref="JournaldSource"/>.</summary>
public sealed class JournaldTransport : ISourceTransport
{
    /// <summary>
    /// The format of the lines this transport writes, whatever the collector's <c>type</c> says: journal entries as
    /// JSON. The format of that name (the journald format's file) reads them.
    /// </summary>
    public const string LineFormat = "journald";

    public string Name => "journald";

    /// <summary>A collector of the journald format reads with this transport when it names none.</summary>
    public string? ImpliedByFormat => LineFormat;

    public ISource Create(string collector, CollectorOptions options, SourceContext context) =>
        new JournaldSource(collector, options, context.Checkpoints, context.Logger);
}
