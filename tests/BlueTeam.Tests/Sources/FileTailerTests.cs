using System.Threading.Channels;
using BlueTeam.Core.Config;
using BlueTeam.Sources;
using BlueTeam.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace BlueTeam.Tests.Sources;

public class FileTailerTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly InMemoryCheckpointStore _store = new();

    public void Dispose() => _dir.Dispose();

    private FileTailer Tailer(string path, StartPosition start = StartPosition.Beginning) =>
        new("auth_log", new CollectorOptions { Type = "auth", Paths = [path], StartAt = start }, _store, NullLogger.Instance);

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

    [Fact]
    public async Task PollAsync_AppendedLines_AreReadOnceEach()
    {
        var path = _dir.File("auth.log");
        await File.WriteAllTextAsync(path, "a\nb\n");
        var tailer = Tailer(path);
        Assert.Equal(["a", "b"], (await PollAsync(tailer)).Select(l => l.Text));
        Assert.Empty(await PollAsync(tailer));
        await File.AppendAllTextAsync(path, "c\npart");
        Assert.Equal(["c"], (await PollAsync(tailer)).Select(l => l.Text));
        await File.AppendAllTextAsync(path, "ial\n");
        Assert.Equal(["partial"], (await PollAsync(tailer)).Select(l => l.Text));
    }

    [Fact]
    public async Task PollAsync_NewTailerWithCheckpoint_ResumesAfterCommittedLine()
    {
        var path = _dir.File("auth.log");
        await File.WriteAllTextAsync(path, "a\nb\nc\n");
        var first = await PollAsync(Tailer(path));
        await CommitAsync(first.Take(2)); // "c" was read but never processed: it must come again
        Assert.Equal(["c"], (await PollAsync(Tailer(path))).Select(l => l.Text));
    }

    [Fact]
    public async Task PollAsync_RenameAndCreate_ReadsTheNewFileFromItsStart()
    {
        var path = _dir.File("auth.log");
        await File.WriteAllTextAsync(path, "old1\nold2\n");
        var tailer = Tailer(path);
        await PollAsync(tailer);
        File.Move(path, path + ".1");
        await File.WriteAllTextAsync(path, "new1\n");
        Assert.Equal(["new1"], (await PollAsync(tailer)).Select(l => l.Text));
    }

    [Fact]
    public async Task PollAsync_Truncated_EmitsLogTruncatedAndRereadsFromZero()
    {
        var path = _dir.File("auth.log");
        await File.WriteAllTextAsync(path, "line one\nline two\n");
        var tailer = Tailer(path);
        await PollAsync(tailer);
        await using (var fs = new FileStream(path, FileMode.Open, FileAccess.Write)) fs.SetLength(0);
        await File.AppendAllTextAsync(path, "x\n");
        var lines = await PollAsync(tailer);
        Assert.Equal(RawLineKind.LogTruncated, lines[0].Kind);
        Assert.Equal("x", lines[1].Text);
    }

    [Fact]
    public async Task PollAsync_MissingFile_ReportsCollectorErrorOnceThenReadsWhenItAppears()
    {
        var path = _dir.File("later.log");
        var tailer = Tailer(path);
        var first = await PollAsync(tailer);
        Assert.Single(first);
        Assert.Equal(RawLineKind.CollectorError, first[0].Kind);
        Assert.Equal("file not found", first[0].Text);
        Assert.Empty(await PollAsync(tailer));
        await File.WriteAllTextAsync(path, "hello\n");
        Assert.Equal(["hello"], (await PollAsync(tailer)).Select(l => l.Text));
    }

    [Fact]
    public async Task PollAsync_StartAtEnd_SkipsExistingContentOfNewFile()
    {
        var path = _dir.File("auth.log");
        await File.WriteAllTextAsync(path, "before\n");
        var tailer = Tailer(path, StartPosition.End);
        Assert.Empty(await PollAsync(tailer));
        await File.AppendAllTextAsync(path, "after\n");
        Assert.Equal(["after"], (await PollAsync(tailer)).Select(l => l.Text));
    }

    [Fact]
    public async Task PollAsync_PermissionDenied_IsACollectorError()
    {
        if (Environment.UserName == "root")
        {
            // root reads any file whatever its mode; use a directory in the path instead, which fails for everyone.
            var blocked = _dir.File("not-a-dir");
            await File.WriteAllTextAsync(blocked, "");
            var lines = await PollAsync(Tailer(Path.Combine(blocked, "auth.log")));
            Assert.Equal(RawLineKind.CollectorError, Assert.Single(lines).Kind);
            return;
        }
        var path = _dir.File("secret.log");
        await File.WriteAllTextAsync(path, "x\n");
        File.SetUnixFileMode(path, UnixFileMode.None);
        var denied = await PollAsync(Tailer(path));
        Assert.Equal("permission denied", Assert.Single(denied).Text);
    }
}
