using System.Threading.Channels;
using BlueTeam.Core.Config;
using BlueTeam.Sources;
using BlueTeam.Sources.Transports;
using BlueTeam.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace BlueTeam.Tests.Sources.Transports;

public class StdinTransportTests
{
    /// <summary>Polls until the source reports stdin closed (the reader runs on its own task).</summary>
    private static async Task<List<RawLine>> ReadAllAsync(StdinSource source)
    {
        var channel = Channel.CreateUnbounded<RawLine>();
        var lines = new List<RawLine>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!lines.Any(l => l.Kind == RawLineKind.CollectorError))
        {
            await source.PollAsync(channel.Writer, cts.Token);
            while (channel.Reader.TryRead(out var line)) lines.Add(line);
            await Task.Delay(10, cts.Token);
        }
        return lines;
    }

    [Fact]
    public void Default_StdinTransport_IsRegisteredAndBuildsAStdinSource()
    {
        var context = new SourceContext(new InMemoryCheckpointStore(), NullLogger.Instance, TimeProvider.System);

        var source = SourceTransports.Default.Create("piped", new CollectorOptions { Transport = "stdin", Type = "json" }, context);

        Assert.IsType<StdinSource>(source);
        Assert.Empty(new CollectorOptions { Transport = "stdin" }.Validate());
    }

    [Fact]
    public async Task PollAsync_PipedLines_YieldsEachLineInOrderThenReportsClosed()
    {
        var source = new StdinSource("piped", "auth", new StringReader("first\r\nsecond\n\nlast-without-newline"));

        var lines = await ReadAllAsync(source);

        Assert.Equal(["first", "second", "", "last-without-newline"], lines.Where(l => l.Kind == RawLineKind.Line).Select(l => l.Text));
        Assert.All(lines, l => Assert.Equal("auth", l.Type));
        Assert.Equal([1L, 2, 3, 4], lines.Where(l => l.Kind == RawLineKind.Line).Select(l => l.Offset));
        Assert.Equal("stdin closed: no more lines will be read", Assert.Single(lines, l => l.Kind == RawLineKind.CollectorError).Text);
    }

    [Fact]
    public async Task PollAsync_TenMegabyteLine_KeepsTheCappedHeadMarkedTruncatedAndReadsOn()
    {
        var source = new StdinSource("piped", "json", new StringReader(new string('a', 10 * 1024 * 1024) + "\nnext\n"));

        var lines = (await ReadAllAsync(source)).Where(l => l.Kind == RawLineKind.Line).ToList();

        Assert.Equal(2, lines.Count);
        Assert.Equal(StdinSource.MaxLineChars, lines[0].Text.Length);
        Assert.True(lines[0].Truncated);
        Assert.Equal("next", lines[1].Text);
        Assert.False(lines[1].Truncated);
    }
}
