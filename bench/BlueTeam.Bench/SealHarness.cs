using System.Diagnostics;
using System.Globalization;
using BlueTeam.Alerting;
using BlueTeam.Core.Config;
using BlueTeam.Storage;
using BlueTeam.Storage.Sealing;

namespace BlueTeam.Bench;

/// <summary>
/// `seal [--count N] [--batch B] [--seal-every 0,1,10]`: incidents saved in batches of B on SQLite, as the daemon saves them,
/// with a seal (<see cref="ChainSealer.SealNowAsync"/>: head read, HMAC, key advanced, state written and fsynced, seal row)
/// after every K batches (0: never, the unsealed baseline). The daemon seals once per epoch (15 min by default), so a seal every
/// batch is a worst case far beyond it; prints incidents/s and the milliseconds one seal costs, and checks the seals afterwards.
/// </summary>
internal static class SealHarness
{
    private static readonly string[] Channels = ["email", "syslog"];
    private const string Host = "eqmon-web01";

    public static int Run(string[] args)
    {
        var count = int.Parse(Option(args, "--count") ?? "20000", CultureInfo.InvariantCulture);
        var batch = int.Parse(Option(args, "--batch") ?? "100", CultureInfo.InvariantCulture);
        var every = (Option(args, "--seal-every") ?? "0,10,1").Split(',').Select(b => int.Parse(b, CultureInfo.InvariantCulture)).ToArray();
        Console.WriteLine($"{"seal every",10} {"incidents",10} {"seals",6} {"seconds",8} {"incidents/s",12} {"ms/seal",8}  seals check");
        foreach (var k in every) MeasureAsync(count, batch, k).GetAwaiter().GetResult();
        return 0;
    }

    private static async Task MeasureAsync(int count, int batch, int sealEvery)
    {
        var directory = Directory.CreateTempSubdirectory("blueteam-seal-bench-").FullName;
        var store = StoreFactory.Create(new DatabaseOptions { Path = Path.Combine(directory, "db", "bench.db") });
        try
        {
            await store.MigrateAsync(CancellationToken.None).ConfigureAwait(false);
            var statePath = Path.Combine(directory, "keys", "sealing.state");
            var (state, key) = SealingState.Create(Host, TimeSpan.FromMinutes(15), DateTimeOffset.UtcNow);
            state.Save(statePath);
            using var sealer = new ChainSealer(statePath, Host, store, store, TimeProvider.System);
            await sealer.SealAtStartAsync(CancellationToken.None).ConfigureAwait(false);

            var next = DateTimeOffset.UtcNow.Ticks;
            AlertSaveRequest[] Batch() => Enumerable.Range(0, batch).Select(_ => new AlertSaveRequest(StoreBenchmarks.Incident(next++), Host, Channels)).ToArray();
            await store.SaveAlertsAsync(Batch(), CancellationToken.None).ConfigureAwait(false); // warm-up
            var work = Enumerable.Range(0, (count + batch - 1) / batch).Select(_ => Batch()).ToArray();

            var seals = 0;
            var sealTime = TimeSpan.Zero;
            var stopwatch = Stopwatch.StartNew();
            for (var i = 0; i < work.Length; i++)
            {
                await store.SaveAlertsAsync(work[i], CancellationToken.None).ConfigureAwait(false);
                if (sealEvery > 0 && (i + 1) % sealEvery == 0)
                {
                    var one = Stopwatch.StartNew();
                    await sealer.SealNowAsync(CancellationToken.None).ConfigureAwait(false);
                    sealTime += one.Elapsed;
                    seals++;
                }
            }
            var seconds = stopwatch.Elapsed.TotalSeconds;
            var saved = work.Sum(w => w.Length);
            var check = await HistoryChecks.SealsAsync(key, store, DateTimeOffset.UtcNow, CancellationToken.None).ConfigureAwait(false);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{(sealEvery == 0 ? "never" : sealEvery + " batches"),10} {saved,10} {seals,6} {seconds,8:F2} {saved / seconds,12:N0} {(seals == 0 ? 0 : sealTime.TotalMilliseconds / seals),8:F2}  {check.Outcome}"));
        }
        finally
        {
            await store.DisposeAsync().ConfigureAwait(false);
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
