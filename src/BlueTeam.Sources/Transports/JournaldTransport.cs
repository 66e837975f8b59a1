namespace BlueTeam.Sources.Transports;

/// <summary>Reads the systemd journal through journalctl with its cursor; see <see cref="JournaldSource"/>.</summary>
public sealed class JournaldTransport : ISourceTransport
{
    public string Name => "journald";

    public ISource Create(string collector, CollectorOptions options, SourceContext context) =>
        new JournaldSource(collector, options, context.Checkpoints, context.Logger);
}
