using System.Buffers;

namespace BlueTeam.Sources;

/// <summary>One complete line read from a stream, with the byte positions around it.</summary>
public readonly record struct LineSpan(string Text, long Offset, long EndOffset, bool Truncated);

/// <summary>
/// Decides from a line's text, before it becomes a string, that the reader may pass over it: false only when
/// nothing downstream would make anything of the line (no event, no error record). See <see cref="LineReader.ReadLines"/>.
/// </summary>
public delegate bool LineScreen(ReadOnlySpan<char> line);

/// <summary>
/// Splits a byte stream into lines from a given position. Only lines ended by '\n' are returned
/// unless <c>includeUnterminated</c> is set (a live file's last line may still be being written,
/// so the tailer waits for its newline; a scan of a finished file takes it). A trailing '\r' is
/// removed (CRLF files), invalid UTF-8 becomes U+FFFD, and a line longer than the limit is cut to
/// the limit and flagged rather than dropped or allowed to exhaust memory.
/// </summary>
public sealed class LineReader
{
    private readonly int _maxLineBytes;
    // ASCII lines widened for a screen, without a string: reused for every line of this reader.
    private char[]? _screenBuffer;
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    public LineReader(int maxLineBytes = DefaultMaxLineBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineBytes, 16);
        _maxLineBytes = maxLineBytes;
    }

    public const int DefaultMaxLineBytes = CollectorOptions.DefaultMaxLineBytes;

    /// <summary>Lines passed over because the screen given to <see cref="ReadLines"/> declined them (never yielded, never decoded).</summary>
    public long ScreenedOut { get; private set; }

    /// <summary>Reads lines from <paramref name="stream"/> starting at <paramref name="position"/>.</summary>
    /// <param name="screen">
    /// When given, each whole ASCII line is shown to it first (as chars in a reused buffer, without its CR), and a
    /// line it declines is skipped and counted in <see cref="ScreenedOut"/> instead of becoming a string: most lines
    /// of an auth.log are of no interest to any parser, and their strings were a quarter of a scan's allocation.
    /// Cut (over-long) and non-ASCII lines are always yielded.
    /// </param>
    public IEnumerable<LineSpan> ReadLines(Stream stream, long position, bool includeUnterminated, LineScreen? screen = null)
    {
        // A decompressing stream or a pipe (scan of .gz, standard input) is read from its start and cannot seek.
        if (stream.CanSeek) stream.Seek(position, SeekOrigin.Begin);
        else if (position != 0) throw new ArgumentException("a stream that cannot seek is read from its start", nameof(position));
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(64 * 1024, _maxLineBytes + 1));
        try
        {
            var lineStart = position;     // file offset of buffer[0]
            var filled = 0;
            var skipping = false;         // inside an over-long line, discarding until its newline
            var skippedLineStart = 0L;
            string? cutText = null;
            while (true)
            {
                var read = stream.Read(buffer, filled, buffer.Length - filled);
                if (read == 0) break;
                filled += read;
                var consumed = 0;
                while (true)
                {
                    var nl = Array.IndexOf(buffer, (byte)'\n', consumed, filled - consumed);
                    if (nl < 0) break;
                    var lineOffset = lineStart + consumed;
                    var end = lineStart + nl + 1;
                    if (skipping)
                    {
                        yield return new LineSpan(cutText!, skippedLineStart, end, Truncated: true);
                        skipping = false;
                        cutText = null;
                    }
                    else
                    {
                        var length = nl - consumed;
                        var truncated = length > _maxLineBytes;
                        string? text = null;
                        if (truncated) length = _maxLineBytes;
                        else if (screen is not null && !Screen(screen, buffer, consumed, length, out text))
                        {
                            ScreenedOut++;
                            consumed = nl + 1;
                            continue;
                        }
                        yield return new LineSpan(text ?? Decode(buffer, consumed, length), lineOffset, end, truncated);
                    }
                    consumed = nl + 1;
                }
                if (consumed == 0 && filled == buffer.Length)
                {
                    // No newline in a full buffer: the line is over the limit. Keep its first part,
                    // drop the rest up to the newline, and say so on the line.
                    if (!skipping)
                    {
                        skipping = true;
                        skippedLineStart = lineStart;
                        cutText = Decode(buffer, 0, _maxLineBytes);
                    }
                    lineStart += filled;
                    filled = 0;
                    continue;
                }
                // Move the unfinished tail to the front of the buffer.
                Buffer.BlockCopy(buffer, consumed, buffer, 0, filled - consumed);
                lineStart += consumed;
                filled -= consumed;
            }
            if (includeUnterminated)
            {
                if (skipping) yield return new LineSpan(cutText!, skippedLineStart, lineStart + filled, Truncated: true);
                else if (filled > 0)
                {
                    var length = Math.Min(filled, _maxLineBytes);
                    yield return new LineSpan(Decode(buffer, 0, length), lineStart, lineStart + filled, filled > _maxLineBytes);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// False when <paramref name="screen"/> declines the line. A kept ASCII line's text is made from the chars
    /// already widened for the screen (the same string <see cref="Decode"/> would give); otherwise text is null.
    /// </summary>
    private bool Screen(LineScreen screen, byte[] buffer, int start, int length, out string? text)
    {
        text = null;
        if (length > 0 && buffer[start + length - 1] == (byte)'\r') length--;
        var bytes = buffer.AsSpan(start, length);
        _screenBuffer ??= new char[_maxLineBytes];
        var chars = _screenBuffer.AsSpan(0, length);
        if (Ascii.ToUtf16(bytes, chars, out _) != OperationStatus.Done) return true; // not ASCII: decoded as any line
        if (!screen(chars)) return false;
        text = length == 0 ? "" : new string(chars);
        return true;
    }

    private static string Decode(byte[] buffer, int start, int length)
    {
        if (length > 0 && buffer[start + length - 1] == (byte)'\r') length--;
        return length == 0 ? "" : Utf8.GetString(buffer, start, length);
    }
}
