using System.Net.Sockets;
using BlueTeam.Sources;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Sources;

/// <summary>
/// The open itself decides whether a path is a log: a FIFO swapped in after any earlier check of the path is
/// still never waited on (a blocking open of a FIFO with no writer would hang this test until its timeout).
/// </summary>
public sealed class FileKindTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task OpenRegular_Fifo_NotOpenedForReading_SaysFifo_WithoutBlocking()
    {
        var fifo = _dir.File("swapped.log");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo])) await mkfifo.WaitForExitAsync();
        var open = Task.Run(() => (Stream: FileKind.OpenRegular(fifo, out var kind), Kind: kind));
        var done = await Task.WhenAny(open, Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.True(done == open, "opening a FIFO blocked");
        Assert.Null((await open).Stream);
        Assert.Equal("a FIFO", (await open).Kind);
    }

    [Fact]
    public void OpenRegular_SocketAndDirectory_Refused_WithWhatTheyAre()
    {
        var path = _dir.File("sock.log");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        Assert.Null(FileKind.OpenRegular(path, out var kind));
        Assert.Equal("a socket", kind);

        Assert.Null(FileKind.OpenRegular(_dir.Path, out kind));
        Assert.Equal("a directory", kind);
    }

    [Fact]
    public void OpenRegular_RegularFile_ReadableStream_MissingFileIsFileNotFound()
    {
        var path = _dir.File("auth.log");
        File.WriteAllText(path, "line one\nline two\n");
        using (var stream = FileKind.OpenRegular(path, out var kind))
        {
            Assert.Null(kind);
            Assert.NotNull(stream);
            Assert.True(stream.CanSeek);
            stream.Seek(5, SeekOrigin.Begin);
            Assert.Equal("one\nline two\n", new StreamReader(stream).ReadToEnd());
        }
        Assert.Throws<FileNotFoundException>(() => FileKind.OpenRegular(_dir.File("missing.log"), out _));
    }
}
