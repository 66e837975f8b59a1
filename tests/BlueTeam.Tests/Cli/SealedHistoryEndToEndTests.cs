using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using BlueTeam.Tests.Support;
using Microsoft.Data.Sqlite;

namespace BlueTeam.Tests.Cli;

/// <summary>
/// The sealed history end to end: `keys init`, the real daemon sealing at start and stop and announcing its
/// chain head over UDP syslog to a listener here, then `verify` (default config, --key, --anchors) before and
/// after rows are cut from the end and after every row is deleted, on a real SQLite file.
/// </summary>
public sealed class SealedHistoryEndToEndTests : IDisposable
{
    private const string Host = "seal-e2e";
    private readonly TempDir _dir = new();
    private readonly string _config;
    private readonly string _log;
    private readonly UdpClient _syslog = new(new IPEndPoint(IPAddress.Loopback, 0));

    public SealedHistoryEndToEndTests()
    {
        _log = _dir.File("auth.log");
        _config = _dir.File("blueteam.yaml");
        var port = ((IPEndPoint)_syslog.Client.LocalEndPoint!).Port;
        File.WriteAllText(_config, $"""
            host: {Host}
            database: {"{"}driver: sqlite, path: {DatabasePath}{"}"}
            storage:
              sealing: {"{"}state_path: {StatePath}, epoch_minutes: 15{"}"}
            monitoring: {"{"}poll_interval_sec: 1{"}"}
            correlation:
              rules:
                off_hours_login: {"{"}enabled: false{"}"}
            collectors:
              auth_log: {"{"}type: auth, paths: [{_log}]{"}"}
            alerting:
              console: {"{"}enabled: false{"}"}
              email: {"{"}enabled: false{"}"}
              syslog: {"{"}enabled: false, transport: udp, server: 127.0.0.1, port: {port}, send_chain_head: true{"}"}
            """);
    }

    private string DatabasePath => _dir.File("db/blueteam.db");
    private string StatePath => _dir.File("keys/sealing.state");

    public void Dispose()
    {
        _syslog.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task KeysInit_DaemonSeals_VerifyPasses_ThenCutRowsAndWipedHistoryExitOne()
    {
        var (initExit, keyOut, initErr) = await BlueTeamProcess.RunAsync(["--config", _config, "keys", "init"]);
        Assert.True(initExit == 0, initErr);
        var key = keyOut.Trim();
        Assert.StartsWith("btseal1/" + Host + "/", key);
        Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(StatePath));
        Assert.DoesNotContain(key, initErr); // the key goes to stdout only, once

        var (againExit, _, againErr) = await BlueTeamProcess.RunAsync(["--config", _config, "keys", "init"]);
        Assert.True(againExit == 1, againErr);
        Assert.Contains("--force", againErr);
        var (insideExit, _, insideErr) = await BlueTeamProcess.RunAsync(["--config", _config, "keys", "init", "--state", _dir.File("db/sealing.state")]);
        Assert.True(insideExit == 2, insideErr);
        Assert.False(File.Exists(_dir.File("db/sealing.state")));

        var now = DateTime.Now;
        await File.WriteAllLinesAsync(_log, new[] { "203.0.113.7", "203.0.113.8", "203.0.113.9", "203.0.113.10" }
            .SelectMany((ip, i) => AuthLogLines.FailedPasswords(ip, 6, now.AddMinutes(-10 + i), TimeSpan.FromSeconds(2))));
        var heads = ReceiveHeadsAsync();
        using (var daemon = BlueTeamProcess.Start(["--config", _config, "monitor", "--no-dashboard"]))
        {
            await daemon.WaitForOutputAsync("Audit chain sealed at start", TimeSpan.FromSeconds(30));
            await WaitForEntriesAsync(5, TimeSpan.FromSeconds(30));
            await Task.Delay(2500); // a heartbeat announces the head after the last incident
            daemon.Signal(BlueTeamProcess.SIGTERM);
            Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains("Audit chain sealed at stop", daemon.Stderr);
        }
        var anchors = _dir.File("heads.log");
        await File.WriteAllLinesAsync(anchors, await heads);

        var (okExit, okOut, okErr) = await BlueTeamProcess.RunAsync(["--config", _config, "verify", "--key", key, "--anchors", anchors]);
        Assert.True(okExit == 0, okOut + okErr);
        Assert.Contains("anchor (sealing state): OK", okOut);
        Assert.Contains("seals (--key): OK", okOut);
        Assert.Contains("announced heads (--anchors): OK", okOut);
        var (plainExit, plainOut, _) = await BlueTeamProcess.RunAsync(["--config", _config, "verify"]);
        Assert.Equal(0, plainExit);
        Assert.Contains("seals (--key): NOT CHECKED", plainOut); // says what it did not do

        var head = await ScalarAsync("SELECT MAX(seq) FROM alert_chain");
        File.Copy(DatabasePath, _dir.File("intact.db"));
        // The intruder cuts the newest three entries and the alerts only they described.
        await SqlAsync($"DELETE FROM alert_chain WHERE seq > {head - 3}");
        await SqlAsync("DELETE FROM alert_deliveries WHERE alert_id NOT IN (SELECT alert_id FROM alert_chain)");
        await SqlAsync("DELETE FROM alert_history WHERE id NOT IN (SELECT alert_id FROM alert_chain)");
        var (cutExit, cutOut, cutErr) = await BlueTeamProcess.RunAsync(["--config", _config, "verify"]);
        Assert.True(cutExit == 1, cutOut + cutErr);
        Assert.Contains($"anchor (sealing state): FAILED at entry {head - 2}", cutOut);
        var (cutKeyExit, cutKeyOut, _) = await BlueTeamProcess.RunAsync(["--config", _config, "verify", "--key", key, "--anchors", anchors, "--format", "json"]);
        Assert.Equal(1, cutKeyExit);
        var checks = Assert.Single(JsonDocument.Parse(cutKeyOut).RootElement.EnumerateArray()).GetProperty("checks").EnumerateArray().ToList();
        Assert.All(checks, c => Assert.Equal("failed", c.GetProperty("outcome").GetString()));

        File.Copy(_dir.File("intact.db"), DatabasePath, overwrite: true);
        File.Delete(DatabasePath + "-wal");
        File.Delete(DatabasePath + "-shm");
        await SqlAsync("DELETE FROM alert_deliveries; DELETE FROM alert_chain; DELETE FROM alert_history; DELETE FROM seals;");
        var (wipeExit, wipeOut, wipeErr) = await BlueTeamProcess.RunAsync(["--config", _config, "verify"]);
        Assert.True(wipeExit == 1, wipeOut + wipeErr);
        Assert.Contains("the history was wiped", wipeOut);
    }

    /// <summary>Collects the BLUETEAM_CHAIN_HEAD records the daemon sends, until the test's store checks are done (2 s of quiet).</summary>
    private async Task<List<string>> ReceiveHeadsAsync()
    {
        var lines = new List<string>();
        while (true)
        {
            using var quiet = new CancellationTokenSource(TimeSpan.FromSeconds(lines.Count == 0 ? 60 : 8));
            try
            {
                var datagram = await _syslog.ReceiveAsync(quiet.Token);
                lines.Add(Encoding.UTF8.GetString(datagram.Buffer));
            }
            catch (OperationCanceledException)
            {
                return lines;
            }
        }
    }

    private async Task WaitForEntriesAsync(long count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (File.Exists(DatabasePath) && await ScalarAsync("SELECT COUNT(*) FROM alert_chain") < count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"fewer than {count} chain entries after {timeout}");
            await Task.Delay(200);
        }
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    private async Task SqlAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
