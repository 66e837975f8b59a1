using System.Diagnostics;
using System.Text.Json;
using BlueTeam.Tests.Support;
using Xunit.Abstractions;

namespace BlueTeam.Tests.Reliability;

/// <summary>
/// The SQLite store's disk fills up during a burst of attacks (a 2 MiB tmpfs mounted for the test,
/// filled to the last byte), then space comes back. The daemon must say so clearly in its log,
/// keep running, keep every incident, and afterwards hold every attack exactly once and exit 0 on
/// SIGTERM. The spool (<c>&lt;db&gt;.spool.jsonl</c>) sits beside the database, so on a full disk it
/// cannot take the incidents either: the daemon must not lose them (it must not commit the read
/// position past lines whose incidents were neither stored nor spooled).
/// </summary>
[Trait("Category", "Fault")]
public sealed class DiskPressureTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly ITestOutputHelper _output;
    private readonly string _mount;

    public DiskPressureTests(ITestOutputHelper output)
    {
        _output = output;
        _mount = Path.Combine(_dir.Path, "store");
        Directory.CreateDirectory(_mount);
        Run("mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", _mount);
    }

    public void Dispose()
    {
        Run("umount", "-l", _mount);
        _dir.Dispose();
    }

    private static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {err}. The disk pressure test mounts a tmpfs and must run as root (CI does).");
    }

    /// <summary>Writes a filler file until the file system is full; returns its path.</summary>
    private string Fill()
    {
        var filler = Path.Combine(_mount, "filler");
        using var f = new FileStream(filler, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.WriteThrough);
        var block = new byte[4096];
        try
        {
            while (true) f.Write(block);
        }
        catch (IOException)
        {
            // ENOSPC: full. Also take the last partial block's worth.
            var small = new byte[64];
            try { while (true) f.Write(small); } catch (IOException) { }
        }
        return filler;
    }

    [Fact]
    public async Task Monitor_StoreDiskFullDuringBurst_KeepsRunning_StoresEveryAttackOnceWhenSpaceReturns()
    {
        var log = _dir.File("auth.log");
        var db = Path.Combine(_mount, "blueteam.db");
        var config = _dir.File("blueteam.yaml");
        await File.WriteAllTextAsync(config, FaultRig.Config("disk-full", $"{{driver: sqlite, path: {db}}}", 1,
            $"  auth_log: {{type: auth, paths: [{log}]}}", FaultRig.FileOnlyAlerting(_dir.File("alerts.jsonl"))));
        await File.WriteAllTextAsync(log, ""); // present from the start: no collector_failure for a missing file
        var writer = new AttackWriter(log);

        using var daemon = BlueTeamProcess.Start(["--config", config, "monitor"]);
        await daemon.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));
        await writer.WriteNextAsync(TimeSpan.Zero);
        await FaultRig.WaitUntilAsync(async () => (await FaultRig.AlertsAsync(config)).Count == 1, TimeSpan.FromSeconds(30), () => "first attack not stored\n" + daemon.Stderr);

        var filler = Fill();
        var full = Stopwatch.StartNew();
        var attacksWhileFull = FaultRig.Setting("BLUETEAM_FAULT_DISK_FULL_ATTACKS", 8);
        for (var i = 0; i < attacksWhileFull; i++)
        {
            await writer.WriteNextAsync(TimeSpan.FromMilliseconds(10));
            await Task.Delay(400);
        }
        await Task.Delay(2000);
        var aliveWhileFull = !daemon.HasExited;
        var stderrWhileFull = daemon.Stderr;
        File.Delete(filler);
        _output.WriteLine($"disk full for {full.Elapsed.TotalSeconds:F0} s; daemon alive: {aliveWhileFull}");
        _output.WriteLine("daemon stderr while full:\n" + string.Join('\n', stderrWhileFull.Split('\n').Take(30)));
        Assert.True(aliveWhileFull, $"the daemon exited while the disk was full (a supervisor would restart it into the same full disk: a crash loop)\nstdout:\n{daemon.Stdout}\nstderr:\n{stderrWhileFull}");
        Assert.Matches("(?i)(disk|database or disk) is full|no space left", stderrWhileFull);

        var ips = writer.Attacks.Select(a => a.Ip).ToList();
        List<JsonElement> alerts = [];
        await FaultRig.WaitUntilAsync(async () => (alerts = await FaultRig.AlertsAsync(config)).Count >= ips.Count, TimeSpan.FromSeconds(40),
            () => $"{alerts.Count} of {ips.Count} attacks stored after space came back\n{daemon.Stderr}");
        daemon.Signal(BlueTeamProcess.SIGTERM);
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        alerts = await FaultRig.AlertsAsync(config);
        var perIp = alerts.Where(a => a.GetProperty("rule_name").GetString() == "ssh_brute_force")
            .GroupBy(a => a.GetProperty("source_ip").GetString()!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var checkpoint = await FaultRig.CheckpointAsync(db, "auth_log", log);
        var figures = $"attacks={ips.Count} (while full {attacksWhileFull}) lines={writer.Lines} stored={perIp.Values.Sum()} lost={ips.Count(ip => !perIp.ContainsKey(ip))} duplicates={perIp.Values.Sum(n => n - 1)} "
            + $"checkpoint={checkpoint?.Offset}/{writer.Length} spooled-summary=\"{daemon.Stdout.Split('\n').FirstOrDefault(l => l.Contains("spooled", StringComparison.Ordinal))?.Trim()}\"";
        _output.WriteLine(figures);
        var report = Environment.GetEnvironmentVariable("BLUETEAM_FAULT_REPORT");
        if (!string.IsNullOrEmpty(report)) await File.AppendAllTextAsync(report, "disk-full: " + figures + Environment.NewLine);
        Assert.All(ips, ip => Assert.Equal(1, perIp.GetValueOrDefault(ip)));
        Assert.Equal(ips.Count, alerts.Count);
        Assert.Equal(writer.Length, checkpoint!.Offset);
        var spool = Path.Combine(_mount, "blueteam.spool.jsonl");
        Assert.True(!File.Exists(spool) || new FileInfo(spool).Length == 0, "the spool was not emptied into the store");
    }
}
