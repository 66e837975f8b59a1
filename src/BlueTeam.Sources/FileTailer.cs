using BlueTeam.Core.Diagnostics;

namespace BlueTeam.Sources;

/// <summary>
/// Follows the files of one collector (paths and globs), reading each line exactly once across
/// restarts and rotations:
/// <list type="bullet">
/// <item>a file is known by device + inode + first-line hash, so a checkpoint is resumed only on
/// the file it was written for;</item>
/// <item>the file being followed stays open, so after a rename-and-create rotation its last lines
/// are read before the new file is started (and, after a restart, the rotated file is looked up
/// by inode in the same directory and finished from the checkpoint);</item>
/// <item>copytruncate is recognised by the rotated copy beside the file and simply re-read; a
/// truncation or replacement with no rotated copy is reported as <see cref="RawLineKind.LogTruncated"/>
/// (possible tampering);</item>
/// <item>a file that cannot be read is reported as <see cref="RawLineKind.CollectorError"/> once per
/// distinct reason (a followed file that vanishes only after a grace period, since rotation
/// briefly leaves the name empty), and is retried at every poll.</item>
/// </list>
/// </summary>
/// <remarks>
/// The read position runs ahead of the committed checkpoint: lines handed on but not yet
/// processed are read again after a crash (at-least-once). Not thread-safe: one poll at a time.
/// </remarks>
public sealed class FileTailer : ISource, IDisposable
{
    private readonly CollectorOptions _options;
    private readonly ICheckpointStore _checkpoints;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly LineReader _reader;
    private readonly Dictionary<string, TailState> _files = new(StringComparer.Ordinal);
    private bool _loaded;

    public FileTailer(string name, CollectorOptions options, ICheckpointStore checkpoints, ILogger logger,
        TimeProvider? time = null, int maxLineBytes = LineReader.DefaultMaxLineBytes)
    {
        Name = name;
        _options = options;
        _checkpoints = checkpoints;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _reader = new LineReader(maxLineBytes);
    }

    public string Name { get; }

    /// <summary>How long a followed file may be missing before that is reported (rotation leaves a gap).</summary>
    public TimeSpan MissingGrace { get; init; } = TimeSpan.FromSeconds(30);

    public IReadOnlyList<string> Paths => _options.Paths;

    public async Task PollAsync(ChannelWriter<RawLine> writer, CancellationToken cancellationToken)
    {
        if (!_loaded)
        {
            foreach (var cp in await _checkpoints.GetCheckpointsAsync(Name, cancellationToken).ConfigureAwait(false))
                _files[cp.Path] = new TailState { Identity = cp.File, Position = cp.EffectiveReplayFrom, ReplayUntil = cp.Offset, FromCheckpoint = true };
            _loaded = true;
        }
        foreach (var path in PathExpander.Expand(_options.Paths))
        {
            cancellationToken.ThrowIfCancellationRequested();
            await PollFileAsync(path, writer, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task PollFileAsync(string path, ChannelWriter<RawLine> writer, CancellationToken ct)
    {
        _files.TryGetValue(path, out var state);

        // 1. Whatever was appended to the file we follow, even if it has been renamed or deleted since.
        if (state?.Stream is not null) await ReadNewLinesAsync(path, state, writer, ct).ConfigureAwait(false);

        // 2. What the name holds now.
        var (current, identity, error) = TryOpen(path);
        if (current is null)
        {
            await HandleUnreadableAsync(path, state, error!, writer, ct).ConfigureAwait(false);
            return;
        }

        if (state is null)
        {
            state = new TailState();
            _files[path] = state;
            Follow(state, current, identity, _options.StartAt == StartPosition.End ? current.Length : 0);
            if (_options.StartAt == StartPosition.End)
                _logger.LogInformation("{Collector}: first sight of {Path}, starting at its end ({Length} bytes) as configured", Name, path, current.Length);
        }
        else if (state.Stream is null)
        {
            // Resuming from a checkpoint (or after the file was unreadable).
            if (SameInode(state.Identity, identity))
                Follow(state, current, identity, state.Position);
            else
            {
                if (state.FromCheckpoint) await FinishRotatedFromCheckpointAsync(path, state, writer, ct).ConfigureAwait(false);
                else if (state.Identity.Inode != 0) await ReportReplacedAsync(path, state, identity, writer, ct).ConfigureAwait(false);
                Follow(state, current, identity, 0);
            }
        }
        else if (!SameInode(state.Identity, identity))
        {
            // Rename-and-create rotation: the old file was read to its end in step 1.
            var rotated = RotationEvidence.FindByInode(path, state.Identity);
            if (rotated is null) await ReportReplacedAsync(path, state, identity, writer, ct).ConfigureAwait(false);
            else _logger.LogInformation("{Collector}: {Path} rotated (old file now {Rotated}); following the new file", Name, path, rotated);
            state.Stream.Dispose();
            Follow(state, current, identity, 0);
        }
        else
        {
            current.Dispose(); // same file as the one held open
        }

        state.FromCheckpoint = false;
        state.MissingSince = null;
        if (state.Errors.Succeeded()) _logger.LogInformation("{Collector}: {Path} is readable again", Name, path);
        await ReadNewLinesAsync(path, state, writer, ct).ConfigureAwait(false);
    }

    private static void Follow(TailState state, FileStream stream, FileIdentity identity, long position)
    {
        if (!ReferenceEquals(state.Stream, stream)) state.Stream?.Dispose();
        if (!SameInode(state.Identity, identity)) state.ReplayUntil = 0; // replay applies to the checkpointed file only
        state.Stream = stream;
        state.Identity = identity;
        state.Position = position;
    }

    private async Task ReadNewLinesAsync(string path, TailState state, ChannelWriter<RawLine> writer, CancellationToken ct)
    {
        var stream = state.Stream!;
        try
        {
            var length = stream.Length;
            var head = FileIdentityReader.HeadHash(stream);
            if (length < state.Position || !SameHead(state.Identity.HeadHash, head))
            {
                await HandleTruncationAsync(path, state, head, length, writer, ct).ConfigureAwait(false);
            }
            else if (state.Identity.HeadHash.Length == 0 && head.Length > 0)
            {
                state.Identity = state.Identity with { HeadHash = head }; // the first line is complete now
            }
            if (length == state.Position) return;
            foreach (var line in _reader.ReadLines(stream, state.Position, includeUnterminated: false))
            {
                await writer.WriteAsync(new RawLine
                {
                    Collector = Name, Type = _options.Type, Path = path, File = state.Identity, Text = line.Text,
                    Offset = line.Offset, EndOffset = line.EndOffset, Truncated = line.Truncated,
                    Replay = line.EndOffset <= state.ReplayUntil,
                }, ct).ConfigureAwait(false);
                state.Position = line.EndOffset;
            }
        }
        catch (IOException e)
        {
            await ReportErrorAsync(path, state, $"read error: {e.Message}", writer, ct).ConfigureAwait(false);
            state.Stream?.Dispose();
            state.Stream = null;
        }
    }

    private async Task HandleTruncationAsync(string path, TailState state, string newHead, long length, ChannelWriter<RawLine> writer, CancellationToken ct)
    {
        var copy = RotationEvidence.FindCopyWithHead(path, state.Identity.HeadHash);
        if (copy is not null)
        {
            _logger.LogInformation("{Collector}: {Path} was rotated by copy and truncate (copy: {Copy}); reading it from the start", Name, path, copy);
            // Lines written between our last read and the copy exist only in the copy: read them there.
            await ReadCopyTailAsync(path, copy, state, writer, ct).ConfigureAwait(false);
        }
        else
        {
            _logger.LogWarning("{Collector}: {Path} was truncated outside rotation (read to byte {Position}, now {Length} bytes)", Name, path, state.Position, length);
            await writer.WriteAsync(new RawLine
            {
                Collector = Name, Type = _options.Type, Path = path, File = state.Identity, Kind = RawLineKind.LogTruncated,
                Text = $"{path} was truncated outside rotation (had been read to byte {state.Position}, is now {length} bytes); reading it again from the start",
            }, ct).ConfigureAwait(false);
        }
        state.Identity = state.Identity with { HeadHash = newHead };
        state.Position = 0;
        state.ReplayUntil = 0;
    }

    private async Task ReadCopyTailAsync(string path, string copy, TailState state, ChannelWriter<RawLine> writer, CancellationToken ct)
    {
        var (stream, _, error) = TryOpen(copy);
        if (stream is null)
        {
            _logger.LogWarning("{Collector}: cannot read the rotated copy {Copy} to finish it: {Reason}", Name, copy, error);
            return;
        }
        using (stream)
        {
            if (stream.Length <= state.Position) return;
            foreach (var line in _reader.ReadLines(stream, state.Position, includeUnterminated: false))
            {
                await writer.WriteAsync(new RawLine
                {
                    Collector = Name, Type = _options.Type, Path = path, File = state.Identity, Text = line.Text,
                    Offset = line.Offset, EndOffset = line.EndOffset, Truncated = line.Truncated,
                }, ct).ConfigureAwait(false);
            }
        }
    }

    private async Task ReportReplacedAsync(string path, TailState state, FileIdentity now, ChannelWriter<RawLine> writer, CancellationToken ct)
    {
        _logger.LogWarning("{Collector}: {Path} was replaced by another file outside rotation (was {Old}, now {New})", Name, path, state.Identity, now);
        await writer.WriteAsync(new RawLine
        {
            Collector = Name, Type = _options.Type, Path = path, File = state.Identity, Kind = RawLineKind.LogTruncated,
            Text = $"{path} was replaced by another file outside rotation (the file read so far is gone); reading the new one from the start",
        }, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// After a restart the name may hold a newer file than the checkpoint's: find the
    /// checkpointed file among its rotated siblings and read what was never processed.
    /// </summary>
    private async Task FinishRotatedFromCheckpointAsync(string path, TailState state, ChannelWriter<RawLine> writer, CancellationToken ct)
    {
        var rotated = RotationEvidence.FindByInode(path, state.Identity);
        if (rotated is null)
        {
            _logger.LogWarning("{Collector}: the file checkpointed for {Path} ({Identity}) is gone; reading the current file from the start", Name, path, state.Identity);
            return;
        }
        var (stream, identity, _) = TryOpen(rotated);
        if (stream is null || !SameInode(state.Identity, identity)) { stream?.Dispose(); return; }
        _logger.LogInformation("{Collector}: finishing {Rotated} (rotated from {Path}) from byte {Position}", Name, rotated, path, state.Position);
        Follow(state, stream, identity, state.Position);
        await ReadNewLinesAsync(path, state, writer, ct).ConfigureAwait(false);
        state.Stream?.Dispose();
        state.Stream = null;
    }

    private async Task HandleUnreadableAsync(string path, TailState? state, string reason, ChannelWriter<RawLine> writer, CancellationToken ct)
    {
        if (state?.Stream is not null && reason == FileNotFound)
        {
            // A followed file vanished: rotation in progress, or deleted. Keep reading the open
            // handle (a writer may still hold it) and report only if the name stays empty.
            var now = _time.GetUtcNow();
            state.MissingSince ??= now;
            if (now - state.MissingSince < MissingGrace) return;
            reason = "file not found (deleted, and not re-created within the grace period)";
        }
        state ??= _files[path] = new TailState();
        await ReportErrorAsync(path, state, reason, writer, ct).ConfigureAwait(false);
    }

    private async Task ReportErrorAsync(string path, TailState state, string reason, ChannelWriter<RawLine> writer, CancellationToken ct)
    {
        if (!state.Errors.Failed(reason)) return; // already said; keep retrying quietly
        _logger.LogWarning("{Collector}: cannot read {Path}: {Reason}", Name, path, reason);
        await writer.WriteAsync(new RawLine
        {
            Collector = Name, Type = _options.Type, Path = path, Kind = RawLineKind.CollectorError, Text = reason, File = state.Identity,
        }, ct).ConfigureAwait(false);
    }

    private const string FileNotFound = "file not found";

    private static (FileStream? Stream, FileIdentity Identity, string? Error) TryOpen(string path)
    {
        FileStream? stream = null;
        try
        {
            // Never read: a FIFO would block until someone writes to it, and a device is no log.
            stream = FileKind.OpenRegular(path, out var kind);
            if (stream is null) return (null, default, $"{kind}, not a regular file: not read (a log path or glob should match log files only)");
            return (stream, FileIdentityReader.Read(stream), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stream?.Dispose();
            return (null, default, e switch
            {
                FileNotFoundException or DirectoryNotFoundException => FileNotFound,
                UnauthorizedAccessException => "permission denied",
                _ => $"read error: {e.Message}",
            });
        }
    }

    private static bool SameInode(FileIdentity a, FileIdentity b) => a.Device == b.Device && a.Inode == b.Inode;

    private static bool SameHead(string known, string current) => known.Length == 0 || current.Length == 0 || known == current;

    public void Dispose()
    {
        foreach (var s in _files.Values) s.Stream?.Dispose();
        _files.Clear();
    }

    private sealed class TailState
    {
        public FileStream? Stream { get; set; }
        public FileIdentity Identity { get; set; }
        public long Position { get; set; }
        public bool FromCheckpoint { get; set; }
        /// <summary>Lines ending at or before this offset were processed before the restart (replay only).</summary>
        public long ReplayUntil { get; set; }
        public DateTimeOffset? MissingSince { get; set; }
        public StateChangeLog Errors { get; } = new();
    }
}
