using System.IO.Compression;
using SharpCompress.Compressors.BZip2;
using SharpCompress.Compressors.Xz;
using SharpCompress.Compressors.ZStandard;

namespace BlueTeam.Sources;

/// <summary>
/// The inputs of a one-off read (`scan`, `rules test`, `explain`): files, folders, globs and "-" for
/// standard input, each opened as plain text whatever it is stored as. Rotated logs are kept
/// compressed (auth.log.2.gz, secure-20261201.xz, .bz2, .zst), so the compression is told from the
/// file's first bytes, never from its name: a renamed file is still read, and a log named .gz that
/// is not compressed is read as it is.
/// </summary>
public static class LogInputs
{
    /// <summary>The name that stands for standard input.</summary>
    public const string StandardInput = "-";

    /// <summary>
    /// Files for <paramref name="arguments"/>, in order: a folder gives its files (sorted, not recursive,
    /// hidden files left out), a glob in the file name gives its matches, "-" stays itself, and any other
    /// path is kept as given so that a missing one is reported by whoever opens it.
    /// </summary>
    public static IReadOnlyList<string> Expand(IEnumerable<string> arguments)
    {
        var files = new List<string>();
        foreach (var argument in arguments)
        {
            if (argument == StandardInput) files.Add(argument);
            else if (Directory.Exists(argument))
            {
                var inFolder = Directory.GetFiles(argument, "*", new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = false, AttributesToSkip = FileAttributes.Hidden });
                Array.Sort(inFolder, StringComparer.Ordinal);
                files.AddRange(inFolder);
            }
            else files.AddRange(PathExpander.Expand([argument]));
        }
        return files;
    }

    /// <summary>
    /// Opens <paramref name="path"/> ("-" for standard input) for reading as text: decompressed when its
    /// first bytes are those of gzip, bzip2, xz or zstd. The caller disposes the stream.
    /// </summary>
    /// <exception cref="IOException">The file cannot be opened or read.</exception>
    /// <exception cref="UnauthorizedAccessException">No permission to read it.</exception>
    /// <exception cref="InvalidDataException">It is compressed and damaged (also from the stream's reads).</exception>
    public static Stream Open(string path)
    {
        var raw = path == StandardInput
            ? Console.OpenStandardInput()
            : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.SequentialScan);
        try
        {
            var head = new byte[6];
            var read = ReadUpTo(raw, head);
            Stream text = read == 0 ? raw : new PrefixedStream(head.AsMemory(0, read), raw);
            return KindOf(head.AsSpan(0, read)) switch
            {
                Compression.Gzip => new GZipStream(text, CompressionMode.Decompress),
                Compression.Bzip2 => new DamageAsIoError(BZip2Stream.Create(text, SharpCompress.Compressors.CompressionMode.Decompress, decompressConcatenated: true, leaveOpen: false)),
                Compression.Xz => new DamageAsIoError(new XZStream(text)),
                Compression.Zstd => new DamageAsIoError(new DecompressionStream(text)),
                _ => text,
            };
        }
        catch (SharpCompress.Common.SharpCompressException e)
        {
            raw.Dispose();
            throw new InvalidDataException("damaged compressed file: " + e.Message, e); // bzip2 reads its first block at once
        }
        catch (Exception)
        {
            raw.Dispose(); // not swallowed: the caller reports the file and the reason
            throw;
        }
    }

    /// <summary>
    /// The first lines of <paramref name="path"/> (to detect its format) and how to open it for the read that
    /// follows. A file is opened again for that read; standard input can be read once only, so what was
    /// looked at is kept and handed back in front of the rest.
    /// </summary>
    /// <exception cref="IOException">The input cannot be opened or read.</exception>
    /// <exception cref="UnauthorizedAccessException">No permission to read it.</exception>
    /// <exception cref="InvalidDataException">It is compressed and damaged.</exception>
    public static (string Head, Func<Stream> Open) Prepare(string path, int headLines = 20, int headBytes = 64 * 1024)
    {
        if (path != StandardInput)
        {
            using var file = Open(path);
            return (HeadOf(file, headLines, headBytes, out _), () => Open(path));
        }
        var input = Open(path);
        var head = HeadOf(input, headLines, headBytes, out var bytes);
        var opened = false;
        return (head, () =>
        {
            if (opened) throw new InvalidOperationException("standard input can be read once only");
            opened = true;
            return new PrefixedStream(bytes, input);
        });
    }

    /// <summary>Up to <paramref name="lines"/> lines (each cut at 4 KB) from at most <paramref name="maxBytes"/> bytes; the bytes read are returned too.</summary>
    private static string HeadOf(Stream stream, int lines, int maxBytes, out byte[] bytes)
    {
        var buffer = new byte[maxBytes];
        var read = ReadUpTo(stream, buffer);
        bytes = buffer[..read];
        var text = System.Text.Encoding.UTF8.GetString(bytes);
        var head = new System.Text.StringBuilder();
        foreach (var line in text.Split('\n').Take(lines)) head.AppendLine(line.Length > 4096 ? line[..4096] : line);
        return head.ToString();
    }

    /// <summary>How a stream that starts with <paramref name="head"/> is compressed (by its magic number).</summary>
    public static Compression KindOf(ReadOnlySpan<byte> head) => head switch
    {
        [0x1F, 0x8B, ..] => Compression.Gzip,
        [(byte)'B', (byte)'Z', (byte)'h', ..] => Compression.Bzip2,
        [0xFD, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00, ..] => Compression.Xz,
        [0x28, 0xB5, 0x2F, 0xFD, ..] => Compression.Zstd,
        _ => Compression.None,
    };

    private static int ReadUpTo(Stream stream, byte[] buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = stream.Read(buffer, total, buffer.Length - total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    /// <summary>
    /// SharpCompress reports a damaged or cut-short file with its own exception types; readers of logs
    /// handle I/O errors, so a damaged file surfaces as <see cref="InvalidDataException"/> with its reason.
    /// </summary>
    private sealed class DamageAsIoError(Stream inner) : ForwardOnlyStream(inner)
    {
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            try
            {
                return Inner.Read(buffer);
            }
            catch (SharpCompress.Common.SharpCompressException e)
            {
                throw new InvalidDataException("damaged compressed file: " + e.Message, e);
            }
        }
    }

    /// <summary>What the two wrappers here share: a stream read once from start to end that owns the stream it reads.</summary>
    private abstract class ForwardOnlyStream(Stream inner) : Stream
    {
        protected Stream Inner { get; } = inner;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) Inner.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>Compression formats told apart by their first bytes.</summary>
    public enum Compression
    {
        None,
        Gzip,
        Bzip2,
        Xz,
        Zstd,
    }

    /// <summary>
    /// The bytes already read to recognise the format, then the rest of the stream: standard input
    /// cannot be rewound, so what was looked at is given back this way.
    /// </summary>
    private sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream rest) : ForwardOnlyStream(rest)
    {
        private ReadOnlyMemory<byte> _prefix = prefix;
        private long _position;

        // Bytes read so far: the xz reader checks block sizes against it.
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n;
            if (_prefix.IsEmpty) n = Inner.Read(buffer);
            else
            {
                n = Math.Min(buffer.Length, _prefix.Length);
                _prefix.Span[..n].CopyTo(buffer);
                _prefix = _prefix[n..];
            }
            _position += n;
            return n;
        }
    }
}
