using System.Diagnostics;
using System.Text;
using BlueTeam.Sources;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Sources;

/// <summary>
/// One-off inputs as logs are kept: compressed by the system's own gzip, bzip2, xz and zstd (real
/// tools, as logrotate uses them), told apart by content not name, and folders and globs expanded.
/// </summary>
public sealed class LogInputsTests : IDisposable
{
    private const string Text = "Mar 10 08:30:01 web01 sshd[12]: Failed password for root from 203.0.113.7 port 4242 ssh2\nsecond line é\n";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Compressed(string tool, string name)
    {
        var path = _dir.File(name);
        File.WriteAllText(path, Text);
        var psi = new ProcessStartInfo(tool) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in new[] { "-q", "-f", path }) psi.ArgumentList.Add(a);
        using (var p = Process.Start(psi) ?? throw new InvalidOperationException(tool))
        {
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, $"{tool}: {p.StandardError.ReadToEnd()} (scripts/test.sh installs it)");
        }
        var suffix = tool switch { "gzip" => ".gz", "bzip2" => ".bz2", "xz" => ".xz", _ => ".zst" };
        return path + suffix;
    }

    private static string ReadAll(string path)
    {
        using var stream = LogInputs.Open(path);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("bzip2")]
    [InlineData("xz")]
    [InlineData("zstd")]
    public void Open_CompressedBySystemTool_ReadsThePlainText(string tool)
    {
        Assert.Equal(Text, ReadAll(Compressed(tool, "auth.log.2")));
    }

    [Fact]
    public void Open_CompressionToldByContentNotName()
    {
        var gz = Compressed("gzip", "rotated");
        var renamed = _dir.File("auth.log.1");
        File.Move(gz, renamed);
        Assert.Equal(Text, ReadAll(renamed));
        var plainNamedGz = _dir.File("plain.gz");
        File.WriteAllText(plainNamedGz, Text);
        Assert.Equal(Text, ReadAll(plainNamedGz));
    }

    [Fact]
    public void Open_EmptyAndTinyFiles_ReadAsTheyAre()
    {
        File.WriteAllText(_dir.File("empty"), "");
        File.WriteAllText(_dir.File("tiny"), "ab");
        Assert.Equal("", ReadAll(_dir.File("empty")));
        Assert.Equal("ab", ReadAll(_dir.File("tiny")));
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("bzip2")]
    [InlineData("xz")]
    [InlineData("zstd")]
    public void Open_TruncatedCompressedFile_GivesAPrefixOrAnIoErrorNeverGarbage(string tool)
    {
        // A rotated file cut short (disk full during compression): what can be read is the log's own text.
        var path = Compressed(tool, "cut");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length * 2 / 3)]);
        try
        {
            Assert.StartsWith(ReadAll(path), Text, StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or ArgumentException)
        {
            // Also fine: the reader says the file is damaged; scan reports it with the file's name.
        }
    }

    [Fact]
    public void Expand_FolderGlobDashAndMissing_InOrder()
    {
        var folder = _dir.File("logs");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "b.log"), "");
        File.WriteAllText(Path.Combine(folder, "a.log"), "");
        File.WriteAllText(Path.Combine(folder, ".hidden"), "");
        File.WriteAllText(_dir.File("x1.log"), "");
        File.WriteAllText(_dir.File("x2.log"), "");

        var files = LogInputs.Expand([folder, _dir.File("x*.log"), "-", _dir.File("missing.log")]);

        Assert.Equal([Path.Combine(folder, "a.log"), Path.Combine(folder, "b.log"), _dir.File("x1.log"), _dir.File("x2.log"), "-", _dir.File("missing.log")], files);
    }
}
