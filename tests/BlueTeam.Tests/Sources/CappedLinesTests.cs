using BlueTeam.Sources;

namespace BlueTeam.Tests.Sources;

public class CappedLinesTests
{
    private static async Task<List<(string Text, bool Truncated)>> ReadAll(string text, int max)
    {
        var lines = new List<(string, bool)>();
        await foreach (var line in CappedLines.ReadAsync(new StringReader(text), max)) lines.Add(line);
        return lines;
    }

    [Fact]
    public async Task ReadAsync_ShortLines_WholeAndUnmarked_CrlfAndLastUnterminatedLineKept()
    {
        Assert.Equal([("a", false), ("bc", false), ("", false), ("tail", false)], await ReadAll("a\r\nbc\n\ntail", 16));
    }

    [Fact]
    public async Task ReadAsync_LineOverTheCap_KeepsItsFirstPart_Marked_NextLineWhole()
    {
        // 1 MB across many 8 KiB reads: only the cap is kept, whatever the reads' boundaries.
        var lines = await ReadAll(new string('x', 1_000_000) + "\nnext\n", 100);
        Assert.Equal([(new string('x', 100), true), ("next", false)], lines);
    }

    [Fact]
    public async Task ReadAsync_LineOfExactlyTheCap_IsNotMarked()
    {
        Assert.Equal([(new string('y', 64), false)], await ReadAll(new string('y', 64) + "\n", 64));
    }
}
