namespace BlueTeam.Sources.Transports;

/// <summary>Tails the collector's <c>paths</c> (globs allowed), surviving rotation; see <see cref="FileTailer"/>.</summary>
public sealed class FileTransport : ISourceTransport
{
    public string Name => "file";

    public IEnumerable<ConfigProblem> Validate(CollectorOptions options)
    {
        if (options.Paths.Count == 0) yield return new("paths", "needs at least one path");
    }

    public ISource Create(string collector, CollectorOptions options, SourceContext context) =>
        new FileTailer(collector, options, context.Checkpoints, context.Logger, context.Time, options.MaxLineBytes);
}
