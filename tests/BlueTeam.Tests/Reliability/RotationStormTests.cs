using System.Diagnostics;
using System.Text;
using System.Text.Json;
using BlueTeam.Tests.Support;
using Xunit.Abstractions;

namespace BlueTeam.Tests.Reliability;

/// <summary>
/// A rotation storm under load: a writer appends failed SSH logins continuously (each from its own
/// source address) while the log is rotated over and over, round-robin, by rename-and-create,
/// copy-and-truncate, and rename with a delayed create (the writer keeps writing into the renamed
/// file for a while, as rsyslog does until logrotate's postrotate HUP). The real daemon tails it
/// with ssh_brute_force at threshold 1, so every line is exactly one stored incident: afterwards
/// the stored incidents are exactly the written addresses, once each, and the committed
/// checkpoint is the current file's length. CI runs 15 rotations of each kind;
/// <c>scripts/fault-suite.sh</c> runs 100 (BLUETEAM_FAULT_ROTATIONS).
/// </summary>
[Trait("Category", "Fault")]
public class RotationStormTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly ITestOutputHelper _output;

    public RotationStormTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Monitor_RotationStormUnderLoad_EveryLineExactlyOneIncident()
    {
        var perKind = FaultRig.Setting("BLUETEAM_FAULT_ROTATIONS", 15);
        var seed = FaultRig.Setting("BLUETEAM_FAULT_SEED", 20260310);
        var rng = new Random(seed);
        var log = _dir.File("auth.log");
        var db = _dir.File("blueteam.db");
        var alertsFile = _dir.File("alerts.jsonl");
        var config = _dir.File("blueteam.yaml");
        var rules = string.Join("\n", FaultRig.QuietRules.Select(r => $"    {r}: {{enabled: false}}"));
        await File.WriteAllTextAsync(config, $"""
            host: storm-{Guid.NewGuid().ToString("N")[..8]}
            database: {"{"}driver: sqlite, path: {db}{"}"}
            monitoring: {"{"}poll_interval_sec: 1{"}"}
            correlation:
              rules:
                ssh_brute_force: {"{"}threshold: 1{"}"}
            {rules}
            collectors:
              auth_log: {"{"}type: auth, paths: [{log}]{"}"}
            alerting:
              # The storm writes past timestamps after the first start: counted one alert each, not folded into the first-start digest.
              first_start_digest: false
            {FaultRig.FileOnlyAlerting(alertsFile)}
            """);

        using var writer = new StormWriter(log);
        using var daemon = BlueTeamProcess.Start(["--config", config, "monitor"]);
        await daemon.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));

        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var load = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                writer.WriteLine();
                await Task.Delay(20);
            }
        });
        var counts = new int[3];
        for (var r = 0; r < 3 * perKind; r++)
        {
            await Task.Delay(250 + rng.Next(300));
            switch (r % 3)
            {
                case 0:
                    writer.RenameAndCreate();
                    break;
                case 1:
                    writer.CopyTruncate();
                    break;
                default:
                    writer.Rename();
                    await Task.Delay(100 + rng.Next(400)); // lines keep going into the renamed file
                    writer.Create();
                    break;
            }
            counts[r % 3]++;
            Assert.False(daemon.HasExited, $"the daemon stopped during the storm\n{daemon.Stdout}\n{daemon.Stderr}");
        }
        await Task.Delay(300);
        stop.Cancel();
        await load;
        var stormTime = clock.Elapsed;

        var written = writer.Ips;
        List<JsonElement> alerts = [];
        await FaultRig.WaitUntilAsync(async () => (alerts = await FaultRig.AlertsAsync(config)).Count >= written.Count, TimeSpan.FromSeconds(FaultRig.Setting("BLUETEAM_FAULT_ROTATIONS", 0) > 0 ? 300 : 40),
            () => $"{alerts.Count} of {written.Count} lines stored as incidents\n{daemon.Stderr}");
        var length = new FileInfo(log).Length;
        await FaultRig.WaitUntilAsync(async () => (await FaultRig.CheckpointAsync(db, "auth_log", log))?.Offset == length, TimeSpan.FromSeconds(20),
            () => $"checkpoint not at the file's end ({length})");
        await Task.Delay(1500); // a late duplicate would land now
        daemon.Signal(BlueTeamProcess.SIGTERM);
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        alerts = await FaultRig.AlertsAsync(config);
        var perIp = alerts.Where(a => a.GetProperty("rule_name").GetString() == "ssh_brute_force")
            .GroupBy(a => a.GetProperty("source_ip").GetString()!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var others = alerts.Where(a => a.GetProperty("rule_name").GetString() != "ssh_brute_force")
            .Select(a => $"{a.GetProperty("rule_name").GetString()}: {a.GetProperty("title").GetString()}").ToList();
        var lost = written.Where(ip => !perIp.ContainsKey(ip)).ToList();
        var duplicates = perIp.Values.Sum(n => n - 1);
        var strangers = perIp.Keys.Except(written, StringComparer.Ordinal).ToList();
        var deliveries = FaultRig.FileDeliveries(alertsFile);
        var checkpoint = await FaultRig.CheckpointAsync(db, "auth_log", log);
        var figures = $"rotations={counts[0]}+{counts[1]}+{counts[2]} (rename-create+copytruncate+delayed-create) storm={stormTime.TotalSeconds:F0}s "
            + $"lines={written.Count} bytes={writer.Bytes} incidents={perIp.Values.Sum()} lost={lost.Count} duplicates={duplicates} other-alerts={others.Count} "
            + $"file-deliveries={deliveries.Values.Sum()} checkpoint={checkpoint?.Offset}/{length}";
        _output.WriteLine(figures);
        foreach (var o in others.Take(10)) _output.WriteLine("other alert: " + o);
        foreach (var ip in lost.Take(10)) _output.WriteLine("lost: " + writer.Describe(ip));
        var report = Environment.GetEnvironmentVariable("BLUETEAM_FAULT_REPORT");
        if (!string.IsNullOrEmpty(report)) await File.AppendAllTextAsync(report, "rotation-storm: " + figures + Environment.NewLine);

        Assert.True(lost.Count == 0, $"{lost.Count} lines lost, e.g. {string.Join("; ", lost.Take(5).Select(writer.Describe))}\n{figures}");
        Assert.True(duplicates == 0, $"{duplicates} lines processed twice: {string.Join(", ", perIp.Where(p => p.Value > 1).Take(5).Select(p => writer.Describe(p.Key)))}\n{figures}");
        Assert.Empty(strangers);
        Assert.True(others.Count == 0, "rotation misread as tampering or failure:\n" + string.Join("\n", others.Take(10)));
        Assert.Equal(written.Count, alerts.Count);
        Assert.Equal(length, checkpoint!.Offset);
        Assert.All(alerts, a => Assert.Equal(1, deliveries.GetValueOrDefault(a.GetProperty("id").ToString())));
    }
}

/// <summary>
/// Writes one failed SSH login per line, each from a new address, through one held handle (as a
/// syslog daemon does), and rotates the log between lines: never in the middle of one, so every
/// loss or duplicate is the tailer's.
/// </summary>
internal sealed class StormWriter : IDisposable
{
    private readonly string _path;
    private readonly object _gate = new();
    private readonly DateTime _start = DateTime.Now.AddDays(-3).Date.AddHours(1);
    private readonly List<string> _ips = [];
    private readonly Dictionary<string, string> _where = new(StringComparer.Ordinal);
    private FileStream _out;
    private int _generation;

    public StormWriter(string path)
    {
        _path = path;
        _out = Open(path);
    }

    public long Bytes { get; private set; }

    public IReadOnlyList<string> Ips { get { lock (_gate) return _ips.ToList(); } }

    /// <summary>Which generation and position a line went to, for the failure message.</summary>
    public string Describe(string ip) { lock (_gate) return $"{ip} ({_where.GetValueOrDefault(ip) ?? "never written"})"; }

    public void WriteLine()
    {
        lock (_gate)
        {
            var n = _ips.Count;
            var ip = $"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}";
            var line = AuthLogLines.FailedPasswords(ip, 1, _start.AddSeconds(n), TimeSpan.Zero).Single();
            var bytes = Encoding.UTF8.GetBytes(line + "\n");
            _out.Seek(0, SeekOrigin.End); // copytruncate: a writer without O_APPEND must not leave a hole
            var at = _out.Position;
            _out.Write(bytes);
            _out.Flush();
            _ips.Add(ip);
            _where[ip] = $"line {n}, generation {_generation}, bytes {at}-{at + bytes.Length}";
            Bytes += bytes.Length;
        }
    }

    public void RenameAndCreate()
    {
        lock (_gate)
        {
            Shift();
            File.Move(_path, _path + ".1");
            _out.Dispose();
            _out = Open(_path);
            _generation++;
        }
    }

    public void CopyTruncate()
    {
        lock (_gate)
        {
            Shift();
            File.Copy(_path, _path + ".1");
            _out.SetLength(0);
            _generation++;
        }
    }

    /// <summary>First half of a delayed create: the name is gone, the writer still writes the renamed file.</summary>
    public void Rename()
    {
        lock (_gate)
        {
            Shift();
            File.Move(_path, _path + ".1");
        }
    }

    public void Create()
    {
        lock (_gate)
        {
            _out.Dispose();
            _out = Open(_path);
            _generation++;
        }
    }

    private void Shift()
    {
        if (File.Exists(_path + ".2")) File.Move(_path + ".2", _path + ".3", overwrite: true);
        if (File.Exists(_path + ".1")) File.Move(_path + ".1", _path + ".2");
    }

    private static FileStream Open(string path) =>
        new(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);

    public void Dispose() { lock (_gate) _out.Dispose(); }
}
