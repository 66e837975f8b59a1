namespace BlueTeam.Sources.Transports;

/// <summary>
/// <c>transport: stdin</c>: reads lines piped into blueteam (<c>docker logs -f app | blueteam monitor</c>),
/// in the collector's format. Stdin has no position to resume from, so nothing is checkpointed; a line
/// longer than <see cref="MaxLineChars"/> keeps its head, is marked truncated, and the rest is dropped.
/// </summary>
public sealed class StdinTransport : ISourceTransport
{
    public string Name => "stdin";

    public ISource Create(string collector, CollectorOptions options, SourceContext context) =>
        new StdinSource(collector, options.Type, Console.In);
}

/// <summary>Drains what a background reader of a <see cref="TextReader"/> has read so far on each poll.</summary>
public sealed class StdinSource(string name, string format, TextReader input) : ISource
{
    public const int MaxLineChars = 64 * 1024;
    public const string PathName = "-";

    // The reader blocks on stdin, so it runs on its own and hands lines over through a small bounded
    // queue: when the pipeline falls behind, the reader waits and the writer of the pipe is slowed down.
    private readonly Channel<RawLine> _read = Channel.CreateBounded<RawLine>(new BoundedChannelOptions(1024) { SingleReader = true, SingleWriter = true });
    private Task? _reader;
    private long _lineNumber;

    public string Name { get; } = name;

    public async Task PollAsync(ChannelWriter<RawLine> writer, CancellationToken cancellationToken)
    {
        _reader ??= Task.Run(() => ReadAllAsync(cancellationToken), cancellationToken);
        while (_read.Reader.TryRead(out var line))
            await writer.WriteAsync(line, cancellationToken).ConfigureAwait(false);
    }

    private async Task ReadAllAsync(CancellationToken ct)
    {
        var buffer = new char[4096];
        var line = new StringBuilder();
        var truncated = false;
        try
        {
            int n;
            while ((n = await input.ReadAsync(buffer.AsMemory(), ct).ConfigureAwait(false)) > 0)
            {
                for (var i = 0; i < n; i++)
                {
                    var c = buffer[i];
                    if (c == '\n')
                    {
                        await EmitAsync(line, truncated, ct).ConfigureAwait(false);
                        line.Clear();
                        truncated = false;
                    }
                    else if (line.Length < MaxLineChars) line.Append(c);
                    else truncated = true;
                }
            }
            if (line.Length > 0 || truncated) await EmitAsync(line, truncated, ct).ConfigureAwait(false);
            await ReportAsync("stdin closed: no more lines will be read", ct).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            // A broken pipe is this collector's failure, reported as such; the daemon goes on with the others.
            await ReportAsync($"stdin cannot be read: {e.Message}", ct).ConfigureAwait(false);
        }
    }

    private ValueTask EmitAsync(StringBuilder line, bool truncated, CancellationToken ct)
    {
        if (line.Length > 0 && line[^1] == '\r') line.Length--;
        var number = ++_lineNumber;
        return _read.Writer.WriteAsync(new RawLine { Collector = Name, Type = format, Path = PathName, Text = line.ToString(), Offset = number, EndOffset = number, Truncated = truncated }, ct);
    }

    private ValueTask ReportAsync(string reason, CancellationToken ct) =>
        _read.Writer.WriteAsync(new RawLine { Collector = Name, Type = format, Path = PathName, Kind = RawLineKind.CollectorError, Text = reason }, ct);
}
