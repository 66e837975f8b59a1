using System.Threading.Channels;
using BlueTeam.Core.Config;
using BlueTeam.Sources;
using BlueTeam.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace BlueTeam.Tests.Sources;

/// <summary>Rotation of every kind on real files: every line read exactly once, tampering reported.</summary>
public class FileTailerRotationTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly InMemoryCheckpointStore _store = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-03-10T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    public void Dispose() => _dir.Dispose();

    private string LogPath => _dir.File("auth.log");

    private FileTailer Tailer(params string[] paths) =>
        new("auth_log", new CollectorOptions { Type = "auth", Paths = paths.Length > 0 ? [.. paths] : [LogPath] }, _store, NullLogger.Instance, _time);

    private static async Task<List<RawLine>> PollAsync(FileTailer tailer)
    {
        var channel = Channel.CreateUnbounded<RawLine>();
        await tailer.PollAsync(channel.Writer, CancellationToken.None);
        channel.Writer.Complete();
        var lines = new List<RawLine>();
        await foreach (var l in channel.Reader.ReadAllAsync()) lines.Add(l);
        return lines;
    }

    private async Task CommitAsync(IEnumerable<RawLine> lines)
    {
        var tracker = new CheckpointTracker(TimeProvider.System);
        foreach (var l in lines) tracker.Processed(l);
        await _store.SaveCheckpointsAsync(tracker.Take(), CancellationToken.None);
    }

    private static void Append(string path, int from, int count) =>
        File.AppendAllLines(path, Enumerable.Range(from, count).Select(i => $"line {i:D6}"));

    private static void CopyTruncate(string path, string copy)
    {
        File.Copy(path, copy, overwrite: true);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        fs.SetLength(0);
    }

    [Fact]
    public async Task PollAsync_RenameAndCreate_FinishesOldFileThenFollowsNew()
    {
        using var tailer = Tailer();
        Append(LogPath, 0, 3);
        Assert.Equal(3, (await PollAsync(tailer)).Count);
        Append(LogPath, 3, 2);                // written just before rotation, not yet read
        File.Move(LogPath, LogPath + ".1");
        Append(LogPath, 5, 2);
        var lines = await PollAsync(tailer);
        Assert.Equal(["line 000003", "line 000004", "line 000005", "line 000006"], lines.Select(l => l.Text));
        Assert.All(lines, l => Assert.Equal(RawLineKind.Line, l.Kind));
    }

    [Fact]
    public async Task PollAsync_CopyTruncate_RereadsWithoutReportingTampering()
    {
        using var tailer = Tailer();
        Append(LogPath, 0, 5);
        await PollAsync(tailer);
        CopyTruncate(LogPath, LogPath + ".1");
        Append(LogPath, 5, 1);
        var lines = await PollAsync(tailer);
        Assert.Equal(["line 000005"], lines.Select(l => l.Text));
    }

    [Fact]
    public async Task PollAsync_TruncatedWithoutRotatedCopy_ReportsLogTruncated()
    {
        using var tailer = Tailer();
        Append(LogPath, 0, 5);
        await PollAsync(tailer);
        using (var fs = new FileStream(LogPath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite)) fs.SetLength(0);
        var lines = await PollAsync(tailer);
        Assert.Equal(RawLineKind.LogTruncated, Assert.Single(lines).Kind);
        Assert.Contains("outside rotation", lines[0].Text);
    }

    [Fact]
    public async Task PollAsync_ReplacedOutsideRotation_ReportsAndReadsNewFile()
    {
        using var tailer = Tailer();
        Append(LogPath, 0, 5);
        await PollAsync(tailer);
        var replacement = _dir.File("forged");
        Append(replacement, 100, 1);
        File.Move(replacement, LogPath, overwrite: true); // the old file is gone, no rotated copy
        var lines = await PollAsync(tailer);
        Assert.Equal(RawLineKind.LogTruncated, lines[0].Kind);
        Assert.Contains("replaced", lines[0].Text);
        Assert.Equal("line 000100", lines[1].Text);
    }

    [Fact]
    public async Task PollAsync_DeletedAndRecreatedWithinGrace_NoErrorAndNewFileRead()
    {
        using var tailer = Tailer();
        Append(LogPath, 0, 2);
        await PollAsync(tailer);
        File.Move(LogPath, LogPath + ".1");
        Assert.Empty(await PollAsync(tailer)); // name empty: within the grace period, nothing said
        _time.Advance(TimeSpan.FromSeconds(5));
        Append(LogPath, 2, 1);
        Assert.Equal(["line 000002"], (await PollAsync(tailer)).Select(l => l.Text));
    }

    [Fact]
    public async Task PollAsync_DeletedPastGrace_ReportsCollectorErrorOnce()
    {
        using var tailer = Tailer();
        Append(LogPath, 0, 2);
        await PollAsync(tailer);
        File.Delete(LogPath);
        Assert.Empty(await PollAsync(tailer));
        _time.Advance(TimeSpan.FromSeconds(31));
        var lines = await PollAsync(tailer);
        Assert.Equal(RawLineKind.CollectorError, Assert.Single(lines).Kind);
        Assert.Empty(await PollAsync(tailer));
    }

    [Fact]
    public async Task PollAsync_RestartAfterRotation_FinishesRotatedFileFromCheckpoint()
    {
        using (var first = Tailer())
        {
            Append(LogPath, 0, 4);
            var read = await PollAsync(first);
            await CommitAsync(read.Take(2)); // crash with lines 2 and 3 unprocessed
        }
        File.Move(LogPath, LogPath + ".1");
        Append(LogPath, 4, 2);
        using var second = Tailer();
        Assert.Equal(["line 000002", "line 000003", "line 000004", "line 000005"], (await PollAsync(second)).Select(l => l.Text));
    }

    [Fact]
    public async Task PollAsync_Glob_FollowsEveryMatchingFile()
    {
        Append(_dir.File("a.log"), 0, 1);
        Append(_dir.File("b.log"), 1, 1);
        Append(_dir.File("c.txt"), 2, 1);
        using var tailer = Tailer(_dir.File("*.log"));
        Assert.Equal(["line 000000", "line 000001"], (await PollAsync(tailer)).Select(l => l.Text));
    }

    [Fact]
    public async Task PollAsync_TenThousandLinesInBurstsWhileRotating_EveryLineExactlyOnce()
    {
        using var tailer = Tailer();
        var seen = new List<string>();
        var next = 0;
        var random = new Random(42);
        for (var round = 0; round < 40; round++)
        {
            var burst = 250;
            // Part of the burst lands before the rotation, part after, with polls in between at random points.
            var before = random.Next(0, burst);
            Append(LogPath, next, before);
            next += before;
            if (random.Next(3) == 0) seen.AddRange((await PollAsync(tailer)).Select(l => l.Text));
            switch (round % 3)
            {
                case 0: File.Move(LogPath, LogPath + $".{round}"); break;             // rename and create
                case 1: CopyTruncate(LogPath, LogPath + $".{round}"); break;          // copytruncate
                default: break;                                                         // no rotation
            }
            Append(LogPath, next, burst - before);
            next += burst - before;
            seen.AddRange((await PollAsync(tailer)).Select(l => l.Kind == RawLineKind.Line ? l.Text : $"!{l.Kind}"));
        }
        Assert.Equal(10_000, next);
        Assert.DoesNotContain(seen, s => s.StartsWith('!'));
        Assert.Equal(Enumerable.Range(0, next).Select(i => $"line {i:D6}"), seen);
    }
}
