using System.Threading.Channels;
using BlueTeam.Core.Config;
using Microsoft.Extensions.Logging;

namespace BlueTeam.Sources;

/// <summary>
/// Follows the files of one collector. Resumes from the committed checkpoint (matched by inode
/// and first-line hash, so a rotated file is recognised), reads only complete lines, reports a
/// file that cannot be read as a <see cref="RawLineKind.CollectorError"/> record (once per
/// distinct problem, and again after it recovers), and re-reads a file that shrank.
/// </summary>
/// <remarks>
/// The tailer's read position runs ahead of the committed checkpoint: lines handed to the
/// pipeline but not yet processed are read again after a crash (at-least-once).
/// </remarks>
public sealed class FileTailer : ISource
{
    private readonly CollectorOptions _options;
    private readonly ICheckpointStore _checkpoints;
    private readonly ILogger _logger;
    private readonly LineReader _reader;
    private readonly Dictionary<string, TailState> _files = new(StringComparer.Ordinal);
    private bool _loaded;

    public FileTailer(string name, CollectorOptions options, ICheckpointStore checkpoints, ILogger logger, int maxLineBytes = LineReader.DefaultMaxLineBytes)
    {
        Name = name;
        _options = options;
        _checkpoints = checkpoints;
        _logger = logger;
        _reader = new LineReader(maxLineBytes);
    }

    public string Name { get; }

    public IReadOnlyList<string> Paths => _options.Paths;

    public async Task PollAsync(ChannelWriter<RawLine> writer, CancellationToken cancellationToken)
    {
        if (!_loaded)
        {
            foreach (var cp in await _checkpoints.GetCheckpointsAsync(Name, cancellationToken).ConfigureAwait(false))
                _files[cp.Path] = new TailState { Identity = cp.File, Position = cp.Offset, FromCheckpoint = true };
            _loaded = true;
        }
        foreach (var path in _options.Paths)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await PollFileAsync(path, writer, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task PollFileAsync(string path, ChannelWriter<RawLine> writer, CancellationToken ct)
    {
        _files.TryGetValue(path, out var state);
        FileStream stream;
        try
        {
            stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.ReadWrite | FileShare.Delete,
                Options = FileOptions.SequentialScan,
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await ReportErrorAsync(path, state, Describe(e), writer, ct).ConfigureAwait(false);
            return;
        }

        await using (stream.ConfigureAwait(false))
        {
            FileIdentity identity;
            long length;
            try
            {
                identity = FileIdentityReader.Read(stream);
                length = stream.Length;
            }
            catch (IOException e)
            {
                await ReportErrorAsync(path, state, Describe(e), writer, ct).ConfigureAwait(false);
                return;
            }

            if (state is null)
            {
                state = new TailState { Identity = identity, Position = _options.StartAt == StartPosition.End ? length : 0 };
                _files[path] = state;
                if (_options.StartAt == StartPosition.End)
                    _logger.LogInformation("{Collector}: first sight of {Path}, starting at its end ({Length} bytes) as configured", Name, path, length);
            }
            else if (state.Identity.Device != identity.Device || state.Identity.Inode != identity.Inode)
            {
                // Another file under this name: rotated (rename-and-create) or replaced. Read it from its start.
                _logger.LogInformation("{Collector}: {Path} is a new file (was {Old}, now {New}); reading it from the start", Name, path, state.Identity, identity);
                state.Identity = identity;
                state.Position = 0;
            }
            else if (length < state.Position || !SameHead(state.Identity, identity))
            {
                // Same inode, but shorter than what was read or with another first line: truncated
                // (copytruncate, or by hand) and possibly written again since.
                await writer.WriteAsync(new RawLine
                {
                    Collector = Name, Type = _options.Type, Path = path, File = identity, Kind = RawLineKind.LogTruncated,
                    Text = $"{path} was truncated (had been read to byte {state.Position}, is now {length} bytes); reading it again from the start",
                    Offset = 0, EndOffset = 0,
                }, ct).ConfigureAwait(false);
                state.Identity = identity;
                state.Position = 0;
            }
            else if (state.Identity.HeadHash.Length == 0 && identity.HeadHash.Length > 0)
            {
                state.Identity = identity; // the first line was completed since we last looked
            }

            if (state.ErrorReported is not null)
            {
                _logger.LogInformation("{Collector}: {Path} is readable again", Name, path);
                state.ErrorReported = null;
            }

            if (length == state.Position) return;
            try
            {
                foreach (var line in _reader.ReadLines(stream, state.Position, includeUnterminated: false))
                {
                    await writer.WriteAsync(new RawLine
                    {
                        Collector = Name, Type = _options.Type, Path = path, File = identity, Text = line.Text,
                        Offset = line.Offset, EndOffset = line.EndOffset, Truncated = line.Truncated,
                    }, ct).ConfigureAwait(false);
                    state.Position = line.EndOffset;
                }
            }
            catch (IOException e)
            {
                await ReportErrorAsync(path, state, Describe(e), writer, ct).ConfigureAwait(false);
            }
        }
    }

    private static bool SameHead(FileIdentity known, FileIdentity current) =>
        known.HeadHash.Length == 0 || current.HeadHash.Length == 0 || known.HeadHash == current.HeadHash;

    private async Task ReportErrorAsync(string path, TailState? state, string reason, ChannelWriter<RawLine> writer, CancellationToken ct)
    {
        if (state is null)
        {
            state = new TailState { Identity = default, Position = 0 };
            _files[path] = state;
            state.NeverOpened = true;
        }
        if (state.ErrorReported == reason) return; // already said; keep retrying quietly
        state.ErrorReported = reason;
        _logger.LogWarning("{Collector}: cannot read {Path}: {Reason}", Name, path, reason);
        await writer.WriteAsync(new RawLine
        {
            Collector = Name, Type = _options.Type, Path = path, Kind = RawLineKind.CollectorError, Text = reason, File = state.Identity,
        }, ct).ConfigureAwait(false);
    }

    private static string Describe(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "file not found",
        UnauthorizedAccessException => "permission denied",
        _ => $"read error: {e.Message}",
    };

    private sealed class TailState
    {
        public FileIdentity Identity { get; set; }
        public long Position { get; set; }
        public bool FromCheckpoint { get; init; }
        public bool NeverOpened { get; set; }
        public string? ErrorReported { get; set; }
    }
}
