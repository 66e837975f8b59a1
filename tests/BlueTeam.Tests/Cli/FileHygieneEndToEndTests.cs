using BlueTeam.Storage;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Cli;

/// <summary>
/// The daemon's start tightens loose files that hold the history (database, -wal, -shm, spool: 0600; sealing state:
/// 0400) and says which; read-only commands never create a store.
/// </summary>
public sealed class FileHygieneEndToEndTests : IDisposable
{
    private const UnixFileMode Loose = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead; // 0644
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Monitor_PreExistingLooseFiles_TightenedAtStart_WithAWarningNamingEach()
    {
        var db = _dir.File("db/blueteam.db");
        var state = _dir.File("keys/sealing.state");
        var config = _dir.File("blueteam.yaml");
        await File.WriteAllTextAsync(_dir.File("auth.log"), "");
        await File.WriteAllTextAsync(config, $"""
            host: hygiene-e2e
            database: {"{"}driver: sqlite, path: {db}{"}"}
            storage:
              sealing: {"{"}state_path: {state}{"}"}
            collectors:
              auth_log: {"{"}type: auth, paths: [{_dir.File("auth.log")}]{"}"}
            alerting:
              console: {"{"}enabled: false{"}"}
              syslog: {"{"}enabled: false, send_chain_head: false{"}"}
              email: {"{"}enabled: false{"}"}
            """);
        var (initExit, _, initErr) = await BlueTeamProcess.RunAsync(["--config", config, "keys", "init"]);
        Assert.True(initExit == 0, initErr);
        var spool = _dir.File("db/blueteam.spool.jsonl");
        var loose = new[] { db, db + "-wal", db + "-shm", spool };
        foreach (var path in loose)
        {
            if (!File.Exists(path)) await File.WriteAllBytesAsync(path, []); // an empty WAL and index are valid to SQLite
            File.SetUnixFileMode(path, Loose);
        }
        File.SetUnixFileMode(state, Loose);

        using var daemon = BlueTeamProcess.Start(["--config", config, "monitor", "--no-dashboard"]);
        await daemon.WaitForOutputAsync("Audit chain sealed at start", TimeSpan.FromSeconds(30));
        // Not at once: a signal while the host is still starting its workers can leave the daemon running (seen on the
        // branch's base too, with SIGINT or SIGTERM right after the banner); this test is about the files, not that.
        await Task.Delay(TimeSpan.FromSeconds(2));
        daemon.Signal(BlueTeamProcess.SIGTERM);
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        foreach (var path in loose)
        {
            if (File.Exists(path)) Assert.Equal(FileHygiene.OwnerReadWrite, File.GetUnixFileMode(path)); // -wal/-shm may be gone after a clean stop
            Assert.Contains($"File mode tightened (it held the history and was open to others): {path}: 0644 -> 0600", daemon.Stderr);
        }
        Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(state));
        Assert.Contains($"{state}: 0644 -> 0400", daemon.Stderr);
    }

    [Fact]
    public async Task AlertsList_MissingStore_CreatesNothingAndExitsThree()
    {
        var db = _dir.File("nowhere/blueteam.db");
        var config = _dir.File("blueteam.yaml");
        await File.WriteAllTextAsync(config, $"host: hygiene-e2e\ndatabase: {{driver: sqlite, path: {db}}}\n");

        var (exit, _, stderr) = await BlueTeamProcess.RunAsync(["--config", config, "alerts", "list"]);

        Assert.True(exit == 3, stderr);
        Assert.Contains($"no store at {db}", stderr);
        Assert.False(Directory.Exists(_dir.File("nowhere")));
    }
}
