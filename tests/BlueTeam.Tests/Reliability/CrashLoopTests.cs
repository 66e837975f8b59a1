using System.Globalization;
using BlueTeam.Tests.Support;
using Xunit.Abstractions;

namespace BlueTeam.Tests.Reliability;

/// <summary>
/// The daemon on a growing auth.log with a scripted attack mix, killed with SIGKILL at random
/// moments and restarted. Afterwards: every line processed (the committed offset is the file's
/// length), every attack stored, each exactly once unless a kill's committed checkpoint fell
/// inside it (see docs/RELIABILITY.md), every alert delivered at least once.
/// CI runs 8 kills; <c>scripts/fault-suite.sh</c> sets BLUETEAM_FAULT_KILLS=50.
/// </summary>
[Trait("Category", "Fault")]
public class CrashLoopTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly ITestOutputHelper _output;

    public CrashLoopTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Monitor_SigkilledRepeatedlyOnGrowingLog_NoLineOrIncidentLost_DuplicatesOnlyFromStraddledAttacks()
    {
        var kills = FaultRig.Setting("BLUETEAM_FAULT_KILLS", 8);
        var seed = FaultRig.Setting("BLUETEAM_FAULT_SEED", 20260310);
        var random = new Random(seed);
        var log = _dir.File("auth.log");
        var db = _dir.File("blueteam.db");
        var sent = _dir.File("alerts.jsonl");
        var config = _dir.File("blueteam.yaml");
        await File.WriteAllTextAsync(config, FaultRig.Config("crash-host", $"{{driver: sqlite, path: {db}}}", 1,
            $"  auth_log: {{type: auth, paths: [{log}]}}", FaultRig.FileOnlyAlerting(sent)));
        var writer = new AttackWriter(log);
        await writer.WriteNextAsync(TimeSpan.Zero);

        using var stopWriting = new CancellationTokenSource();
        var writing = Task.Run(async () =>
        {
            while (!stopWriting.IsCancellationRequested) await writer.WriteNextAsync(TimeSpan.FromMilliseconds(15));
        });

        var committedAtKill = new List<long>();
        var killedBeforeStart = 0;
        try
        {
            for (var k = 0; k < kills; k++)
            {
                using var daemon = BlueTeamProcess.Start(["--config", config, "monitor"]);
                // Random moments: one kill in four during start-up, the rest while lines are being read and stored.
                if (random.Next(4) == 0) await Task.Delay(TimeSpan.FromMilliseconds(random.Next(50, 600)));
                else
                {
                    await daemon.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));
                    await Task.Delay(TimeSpan.FromMilliseconds(random.Next(100, 2500)));
                }
                if (!daemon.Stdout.Contains("Blue Team Monitor Started", StringComparison.Ordinal)) killedBeforeStart++;
                Assert.False(daemon.HasExited, $"the daemon exited by itself before kill {k + 1}:\n{daemon.Stdout}\n{daemon.Stderr}");
                daemon.Signal(BlueTeamProcess.SIGKILL);
                Assert.Equal(128 + BlueTeamProcess.SIGKILL, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(10)));
                var checkpoint = await FaultRig.CheckpointAsync(db, "auth_log", log);
                var offset = checkpoint?.Offset ?? 0;
                if (committedAtKill.Count > 0) Assert.True(offset >= committedAtKill[^1], $"checkpoint went back from {committedAtKill[^1]} to {offset}");
                committedAtKill.Add(offset);
            }
        }
        finally
        {
            await stopWriting.CancelAsync();
            await writing;
        }

        // One last run reads the rest; SIGTERM drains.
        var fileLength = new FileInfo(log).Length;
        Assert.Equal(writer.Length, fileLength);
        using (var last = BlueTeamProcess.Start(["--config", config, "monitor"]))
        {
            await FaultRig.WaitUntilAsync(async () => (await FaultRig.CheckpointAsync(db, "auth_log", log))?.Offset == fileLength,
                TimeSpan.FromSeconds(60), () => $"the daemon did not reach the end of the log ({fileLength} bytes)\n{last.Stderr}");
            var alertsNow = await FaultRig.AlertsAsync(config);
            await FaultRig.WaitUntilAsync(() => Task.FromResult(alertsNow.All(a => FaultRig.FileDeliveries(sent).ContainsKey(a.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture)))),
                TimeSpan.FromSeconds(60), () => "not every stored alert was delivered to the file channel");
            last.Signal(BlueTeamProcess.SIGTERM);
            Assert.Equal(0, await last.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        }

        // Lines: everything up to the end of the file was processed and committed.
        Assert.Equal(fileLength, (await FaultRig.CheckpointAsync(db, "auth_log", log))!.Offset);

        // Incidents: one per attack, more only where a kill's committed checkpoint split the attack.
        var alerts = await FaultRig.AlertsAsync(config);
        var bruteForces = alerts.Where(a => a.GetProperty("rule_name").GetString() == "ssh_brute_force")
            .GroupBy(a => a.GetProperty("source_ip").GetString()!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var attacks = writer.Attacks;
        var straddled = attacks.Where(a => committedAtKill.Any(c => c > a.Start && c < a.End)).Select(a => a.Ip).ToHashSet(StringComparer.Ordinal);
        var lost = attacks.Where(a => !bruteForces.ContainsKey(a.Ip)).Select(a => a.Ip).ToList();
        var duplicatesStraddled = attacks.Where(a => straddled.Contains(a.Ip)).Sum(a => bruteForces.GetValueOrDefault(a.Ip) - 1);
        var duplicatesOther = attacks.Where(a => !straddled.Contains(a.Ip) && bruteForces.GetValueOrDefault(a.Ip) > 1).Select(a => $"{a.Ip}×{bruteForces[a.Ip]}").ToList();
        var unexpected = bruteForces.Keys.Except(attacks.Select(a => a.Ip), StringComparer.Ordinal).ToList();
        var otherAlerts = alerts.Where(a => a.GetProperty("rule_name").GetString() != "ssh_brute_force").Select(a => a.GetProperty("rule_name").GetString()).ToList();

        // Deliveries: at least once; a duplicate is a write made before a kill, redone after it.
        var deliveries = FaultRig.FileDeliveries(sent);
        var undelivered = alerts.Where(a => !deliveries.ContainsKey(a.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture))).ToList();
        var duplicateDeliveries = deliveries.Values.Sum(n => n - 1);

        var figures = string.Join(Environment.NewLine,
            $"seed={seed} kills={kills} killed-before-start={killedBeforeStart}",
            $"lines={writer.Lines} bytes={fileLength} committed-at-end={fileLength} lost-lines=0",
            $"attacks={attacks.Count} incidents={bruteForces.Values.Sum()} lost-incidents={lost.Count}",
            $"straddled-attacks={straddled.Count} duplicates-from-straddles={duplicatesStraddled} duplicates-other={duplicatesOther.Count}",
            $"alerts={alerts.Count} deliveries={deliveries.Values.Sum()} undelivered={undelivered.Count} duplicate-deliveries={duplicateDeliveries}",
            $"other-rules={string.Join(",", otherAlerts)}",
            $"committed-offsets-at-kills={string.Join(",", committedAtKill)}");
        _output.WriteLine(figures);
        var report = Environment.GetEnvironmentVariable("BLUETEAM_FAULT_REPORT");
        if (!string.IsNullOrEmpty(report)) await File.AppendAllTextAsync(report, "crash-loop: " + figures.Replace(Environment.NewLine, "; ", StringComparison.Ordinal) + Environment.NewLine);

        Assert.True(attacks.Count >= kills, figures);
        Assert.Empty(lost);
        Assert.Empty(unexpected);
        Assert.Empty(duplicatesOther);
        Assert.Empty(otherAlerts);
        Assert.Empty(undelivered);
    }
}
