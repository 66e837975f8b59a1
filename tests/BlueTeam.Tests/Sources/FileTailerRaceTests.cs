using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using BlueTeam.Core.Config;
using BlueTeam.Sources;
using BlueTeam.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace BlueTeam.Tests.Sources;

/// <summary>
/// Races between the tailer's poll and a rotating writer, made deterministic: the rotation is
/// done by the channel the tailer hands its lines to, at the exact moment of the race.
/// </summary>
public class FileTailerRaceTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string LogPath => _dir.File("auth.log");

    /// <summary>
    /// The poll reads the held (old) file to its end, then the writer appends one last line to it,
    /// renames it and creates the new file, then the poll sees the new inode. That last line must
    /// be read from the old file before it is let go (it was lost before the fix in FileTailer's
    /// rename-and-create branch).
    /// </summary>
    [Fact]
    public async Task PollAsync_LineAppendedToOldFileBetweenReadAndRotation_IsNotLost()
    {
        using var tailer = new FileTailer("auth_log", new CollectorOptions { Type = CollectorType.Auth, Paths = [LogPath] }, new InMemoryCheckpointStore(), NullLogger.Instance);
        File.AppendAllLines(LogPath, ["line 0", "line 1"]);
        var first = new HookedWriter(null);
        await tailer.PollAsync(first, CancellationToken.None);
        Assert.Equal(["line 0", "line 1"], first.Lines.Select(l => l.Text));

        File.AppendAllLines(LogPath, ["line 2"]);
        var second = new HookedWriter(line =>
        {
            if (line.Text != "line 2") return;
            // After the poll's first read of the old file: the writer's last line, then the rotation.
            File.AppendAllLines(LogPath, ["line 3"]);
            File.Move(LogPath, LogPath + ".1");
            File.AppendAllLines(LogPath, ["line 4"]);
        });
        await tailer.PollAsync(second, CancellationToken.None);
        var third = new HookedWriter(null);
        await tailer.PollAsync(third, CancellationToken.None);

        var texts = second.Lines.Concat(third.Lines).Where(l => l.Kind == RawLineKind.Line).Select(l => l.Text).ToList();
        Assert.Equal(["line 2", "line 3", "line 4"], texts);
        Assert.DoesNotContain(second.Lines.Concat(third.Lines), l => l.Kind != RawLineKind.Line); // a rotation, not tampering
    }

    /// <summary>Collects lines and runs a hook as each one is handed over (on the poll's own thread).</summary>
    private sealed class HookedWriter(Action<RawLine>? hook) : ChannelWriter<RawLine>
    {
        public List<RawLine> Lines { get; } = [];

        public override bool TryWrite(RawLine item)
        {
            Lines.Add(item);
            hook?.Invoke(item);
            return true;
        }

        public override ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(true);

        [SuppressMessage("Style", "IDE0060", Justification = "signature of the base")]
        public override bool TryComplete(Exception? error = null) => true;
    }
}
