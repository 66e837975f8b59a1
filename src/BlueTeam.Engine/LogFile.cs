using BlueTeam.Parsing;
using BlueTeam.Sources;

namespace BlueTeam.Engine;

/// <summary>A file given to scan that exists but cannot be read (permissions, an I/O error): which one, and why.</summary>
internal sealed class UnreadableFileException(string path, Exception inner) : IOException($"{path}: {inner.Message}", inner);

/// <summary>
/// One finished log to run the pipeline over (scan, rules test, the benchmarks): its name, its format, how to
/// complete its timestamps, and how to open it as plain text (decompressed, or standard input; <see cref="LogInputs"/>).
/// Length is for progress.
/// </summary>
internal sealed record LogFile(string Path, long Length, string Format, ParseContext Context, Func<Stream> Open)
{
    /// <summary>A plain file on disk, read as it is.</summary>
    public static LogFile Plain(string path, string format, ParseContext context) =>
        new(path, new FileInfo(path).Length, format, context,
            () => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.SequentialScan));

    /// <summary>
    /// The file's lines as the daemon's tailer hands them over (same reader, same cap on a line's length), named
    /// <paramref name="collector"/>. An error opening or reading names the file (<see cref="UnreadableFileException"/>).
    /// </summary>
    /// <param name="screen">Lines to pass over unread (<see cref="ParserRegistry.ScreenFor"/>); they are counted in the
    /// reader's <see cref="LineReader.ScreenedOut"/>, not yielded.</param>
    public IEnumerable<RawLine> ReadLines(string collector, LineReader? reader = null, LineScreen? screen = null)
    {
        reader ??= new LineReader();
        using var stream = OpenReadable();
        using var lines = reader.ReadLines(stream, 0, includeUnterminated: true, screen).GetEnumerator();
        while (true)
        {
            try
            {
                if (!lines.MoveNext()) yield break;
            }
            catch (IOException e)
            {
                throw new UnreadableFileException(Path, e);
            }
            var span = lines.Current;
            yield return new RawLine
            {
                Collector = collector, Type = Format, Path = Path, Text = span.Text,
                Offset = span.Offset, EndOffset = span.EndOffset, Truncated = span.Truncated,
            };
        }
    }

    private Stream OpenReadable()
    {
        try
        {
            return Open();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UnreadableFileException(Path, e);
        }
    }
}
