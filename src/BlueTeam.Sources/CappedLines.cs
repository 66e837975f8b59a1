using System.Runtime.CompilerServices;

namespace BlueTeam.Sources;

/// <summary>
/// Lines from a text pipe (journalctl's output) with a cap: <see cref="TextReader.ReadLineAsync()"/> would buffer
/// a line of any length, so one entry written to be huge could exhaust memory. A longer line keeps its first
/// <c>maxChars</c> characters and is marked truncated; the rest is read and dropped up to its end of line.
/// </summary>
public static class CappedLines
{
    public static async IAsyncEnumerable<(string Text, bool Truncated)> ReadAsync(TextReader reader, int maxChars,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxChars, 1);
        var chunk = new char[8192];
        var line = new StringBuilder();
        var truncated = false;
        int read;
        while ((read = await reader.ReadAsync(chunk.AsMemory(), cancellationToken).ConfigureAwait(false)) > 0)
        {
            var start = 0;
            for (var i = 0; i < read; i++)
            {
                if (chunk[i] != '\n') continue;
                Append(line, chunk.AsSpan(start, i - start), maxChars, ref truncated);
                yield return (Finish(line), truncated);
                line.Clear();
                truncated = false;
                start = i + 1;
            }
            Append(line, chunk.AsSpan(start, read - start), maxChars, ref truncated);
        }
        if (line.Length > 0 || truncated) yield return (Finish(line), truncated);
    }

    private static void Append(StringBuilder line, ReadOnlySpan<char> part, int maxChars, ref bool truncated)
    {
        var room = maxChars - line.Length;
        if (part.Length > room)
        {
            truncated = true;
            part = part[..Math.Max(room, 0)];
        }
        line.Append(part);
    }

    private static string Finish(StringBuilder line)
    {
        if (line.Length > 0 && line[^1] == '\r') line.Length--;
        return line.ToString();
    }
}
