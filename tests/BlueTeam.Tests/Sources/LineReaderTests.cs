using System.Text;
using BlueTeam.Sources;

namespace BlueTeam.Tests.Sources;

public class LineReaderTests
{
    private static List<LineSpan> Read(byte[] bytes, long from = 0, bool unterminated = false, int max = LineReader.DefaultMaxLineBytes) =>
        new LineReader(max).ReadLines(new MemoryStream(bytes), from, unterminated).ToList();

    [Fact]
    public void ReadLines_CrLfAndLf_GivesTextWithoutTerminatorsAndExactOffsets()
    {
        var lines = Read(Encoding.UTF8.GetBytes("one\r\ntwo\nthree\n"));
        Assert.Equal(["one", "two", "three"], lines.Select(l => l.Text));
        Assert.Equal([0L, 5L, 9L], lines.Select(l => l.Offset));
        Assert.Equal([5L, 9L, 15L], lines.Select(l => l.EndOffset));
    }

    [Fact]
    public void ReadLines_PartialLastLine_WaitsForNewlineUnlessAskedForIt()
    {
        var bytes = Encoding.UTF8.GetBytes("done\nhalf");
        Assert.Equal(["done"], Read(bytes).Select(l => l.Text));
        Assert.Equal(["done", "half"], Read(bytes, unterminated: true).Select(l => l.Text));
    }

    [Fact]
    public void ReadLines_InvalidUtf8AndNul_AreDecodedNotThrown()
    {
        var bytes = new byte[] { (byte)'a', 0xff, 0xfe, 0, (byte)'b', (byte)'\n', (byte)'c', (byte)'\n' };
        var lines = Read(bytes);
        Assert.Equal(2, lines.Count);
        Assert.Equal("a\uFFFD\uFFFD\0b", lines[0].Text);
        Assert.Equal("c", lines[1].Text);
    }

    [Fact]
    public void ReadLines_LineOverLimit_IsCutFlaggedAndTheNextLineStillRead()
    {
        var longLine = new string('x', 300_000);
        var bytes = Encoding.UTF8.GetBytes(longLine + "\nnext\n");
        var lines = Read(bytes, max: 1024);
        Assert.Equal(2, lines.Count);
        Assert.True(lines[0].Truncated);
        Assert.Equal(1024, lines[0].Text.Length);
        Assert.Equal(300_001, lines[0].EndOffset);
        Assert.Equal("next", lines[1].Text);
        Assert.False(lines[1].Truncated);
    }

    [Fact]
    public void ReadLines_FromMiddle_StartsAtPosition()
    {
        var lines = Read(Encoding.UTF8.GetBytes("aaa\nbbb\n"), from: 4);
        Assert.Equal(["bbb"], lines.Select(l => l.Text));
        Assert.Equal(4, lines[0].Offset);
    }
}
