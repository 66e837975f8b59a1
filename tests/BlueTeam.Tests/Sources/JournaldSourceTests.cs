using System.Threading.Channels;
using BlueTeam.Core.Config;
using BlueTeam.Parsing;
using BlueTeam.Sources;
using BlueTeam.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace BlueTeam.Tests.Sources;

/// <summary>The journald source on real journal files, read by the real journalctl.</summary>
public class JournaldSourceTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly InMemoryCheckpointStore _store = new();
    private static readonly DateTimeOffset T0 = new(2026, 3, 10, 8, 30, 0, TimeSpan.Zero);

    public void Dispose() => _dir.Dispose();

    private JournaldSource Source(StartPosition start = StartPosition.Beginning) =>
        new("journal", new CollectorOptions { Type = "journald", JournalDirectory = _dir.Path, StartAt = start }, _store, NullLogger.Instance);

    private static JournalFiles.Entry Failure(int i) => new(T0.AddSeconds(i), "sshd", 3000 + i, $"Failed password for root from 203.0.113.{i} port {41000 + i} ssh2");

    /// <summary>Polls until <paramref name="count"/> lines came (journalctl needs a moment to start and follow).</summary>
    private static async Task<List<RawLine>> PollUntilAsync(JournaldSource source, int count, TimeSpan? timeout = null)
    {
        var lines = new List<RawLine>();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        do
        {
            var channel = Channel.CreateUnbounded<RawLine>();
            await source.PollAsync(channel.Writer, CancellationToken.None);
            channel.Writer.Complete();
            await foreach (var l in channel.Reader.ReadAllAsync()) lines.Add(l);
            if (lines.Count >= count) break;
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        return lines;
    }

    [Fact]
    public async Task PollAsync_JournalEntries_ComeAsParsableLinesWithCursors()
    {
        JournalFiles.Append(_dir.Path, Enumerable.Range(0, 3).Select(Failure));
        using var source = Source();
        var lines = await PollUntilAsync(source, 3);
        Assert.Equal(3, lines.Count);
        Assert.All(lines, l => Assert.NotNull(l.Cursor));

        var registry = ParserRegistry.CreateDefault();
        var events = lines.Select(l => registry.Parse(l, new ParseContext())).ToList();
        Assert.All(events, e => Assert.Equal("ssh_login", e!.Event.Action));
        Assert.Equal(["203.0.113.0", "203.0.113.1", "203.0.113.2"], events.Select(e => e!.Source!.Ip));
        Assert.Equal(T0, events[0]!.Timestamp);
        Assert.Equal("jhost", events[0]!.Host!.Hostname);
        Assert.Equal(3000, events[0]!.Process!.Pid);
    }

    [Fact]
    public async Task PollAsync_EntryOverMaxLineBytes_CutAndMarked_CursorKept_NextEntryWhole()
    {
        // An entry written to be huge (a 2 MB message) costs the cap, not the megabytes, and the stream goes on.
        JournalFiles.Append(_dir.Path, [new(T0, "sshd", 3000, "Failed password for root from 203.0.113.1 port 1 ssh2 " + new string('A', 2_000_000)), Failure(2)]);
        using var source = new JournaldSource("journal",
            new CollectorOptions { Type = "journald", JournalDirectory = _dir.Path, MaxLineBytes = 4096 }, _store, NullLogger.Instance);
        var lines = await PollUntilAsync(source, 2);
        Assert.Equal(2, lines.Count);
        Assert.True(lines[0].Truncated);
        Assert.Equal(4096, lines[0].Text.Length);
        // journalctl writes an entry's fields in no fixed order, so a cut entry may have lost its cursor; the next whole
        // entry carries one, and a restart resumes from it (at most the cut entry is read again).
        Assert.False(lines[1].Truncated);
        Assert.NotNull(lines[1].Cursor);
        Assert.Equal("203.0.113.2", ParserRegistry.CreateDefault().Parse(lines[1], new ParseContext())!.Source!.Ip);
    }

    [Fact]
    public async Task PollAsync_NewEntriesWhileFollowing_AreRead()
    {
        JournalFiles.Append(_dir.Path, [Failure(0)]);
        using var source = Source();
        Assert.Single(await PollUntilAsync(source, 1));
        JournalFiles.Append(_dir.Path, [Failure(1), Failure(2)]);
        var more = await PollUntilAsync(source, 2);
        Assert.Equal(2, more.Count);
    }

    [Fact]
    public async Task PollAsync_RestartFromCommittedCursor_ReadsOnlyWhatCameAfter()
    {
        JournalFiles.Append(_dir.Path, Enumerable.Range(0, 4).Select(Failure));
        using (var first = Source())
        {
            var lines = await PollUntilAsync(first, 4);
            var tracker = new CheckpointTracker(TimeProvider.System);
            foreach (var l in lines.Take(2)) tracker.Processed(l); // crash after two were processed
            await _store.SaveCheckpointsAsync(tracker.Take(), CancellationToken.None);
        }
        using var second = Source();
        var again = await PollUntilAsync(second, 2);
        Assert.Equal(2, again.Count);
        var registry = ParserRegistry.CreateDefault();
        Assert.Equal(["203.0.113.2", "203.0.113.3"], again.Select(l => registry.Parse(l, new ParseContext())!.Source!.Ip));
        await Task.Delay(500);
        Assert.Empty(await PollUntilAsync(second, 1, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task PollAsync_JournalctlMissing_ReportsCollectorError()
    {
        using var source = new JournaldSource("journal", new CollectorOptions { Type = "journald" }, _store, NullLogger.Instance, journalctl: _dir.File("no-such-journalctl"));
        var lines = await PollUntilAsync(source, 1, TimeSpan.FromSeconds(2));
        Assert.Equal(RawLineKind.CollectorError, Assert.Single(lines).Kind);
    }
}
