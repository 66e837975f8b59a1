using BlueTeam.Engine.Daemon;
using BlueTeam.Sources;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Engine.Daemon;

/// <summary>
/// The daemon's inotify wake-up: a change to a watched file, named literally or by a glob in its
/// file name, wakes the source worker; a change to another file of the same directory does not.
/// </summary>
public class FileChangeSignalTests : IDisposable
{
    // Long enough never to be reached when inotify works; the assertion is on woken / not woken.
    private static readonly TimeSpan Woken = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(1);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task AppendToLiteralPath_Wakes()
    {
        var log = _dir.File("auth.log");
        await File.WriteAllTextAsync(log, "");
        using var signal = new FileChangeSignal([log]);

        await File.AppendAllTextAsync(log, "line\n");

        Assert.True(await signal.WaitAsync(Woken, CancellationToken.None));
    }

    [Fact]
    public async Task AppendToFileMatchingGlob_Wakes()
    {
        var log = _dir.File("access.log");
        await File.WriteAllTextAsync(log, "");
        using var signal = new FileChangeSignal([_dir.File("*.log")]);

        await File.AppendAllTextAsync(log, "line\n");

        Assert.True(await signal.WaitAsync(Woken, CancellationToken.None));
    }

    [Fact]
    public async Task FileCreatedMatchingGlob_Wakes()
    {
        using var signal = new FileChangeSignal([_dir.File("*.log")]);

        await File.WriteAllTextAsync(_dir.File("new.log"), "line\n");

        Assert.True(await signal.WaitAsync(Woken, CancellationToken.None));
    }

    [Fact]
    public async Task ChangeToUnwatchedFileOfSameDirectory_DoesNotWake()
    {
        var log = _dir.File("auth.log");
        await File.WriteAllTextAsync(log, "");
        using var signal = new FileChangeSignal([log, _dir.File("*.log")]);

        await File.AppendAllTextAsync(_dir.File("auth.log.1"), "rotated\n");
        await File.AppendAllTextAsync(_dir.File("other.txt"), "noise\n");

        Assert.False(await signal.WaitAsync(Quiet, CancellationToken.None));
    }

    [Theory]
    [InlineData("*.log", "access.log", true)]
    [InlineData("*.log", "access.log.1", false)]
    [InlineData("*.log", "ACCESS.LOG", false)]
    [InlineData("access-?.log", "access-1.log", true)]
    [InlineData("auth.log", "auth.log", true)]
    [InlineData("auth.log", "auth.log.1", false)]
    public void WatchedFileNames_MatchesLiteralsAndGlobs(string configured, string changed, bool expected) =>
        Assert.Equal(expected, new WatchedFileNames([configured]).Matches(changed));

    [Fact]
    public void WatchedFileNames_AcceptExactlyTheFilesTheTailerExpandsTheGlobTo()
    {
        string[] names = ["a.log", "b.log", "b.log.1", "B.LOG", "c.log.gz", "d.txt", "e-1.log"];
        foreach (var name in names) File.WriteAllText(_dir.File(name), "");
        var globs = new[] { "*.log", "?.log", "e-?.log", "*.log.*" };

        foreach (var glob in globs)
        {
            var expanded = PathExpander.Expand([_dir.File(glob)]).Select(Path.GetFileName).Order(StringComparer.Ordinal);
            var watched = new WatchedFileNames([glob]);
            Assert.Equal(expanded, names.Where(watched.Matches).Order(StringComparer.Ordinal));
        }
    }
}
