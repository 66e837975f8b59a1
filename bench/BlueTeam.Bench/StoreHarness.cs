using System.Diagnostics;
using System.Globalization;
using BlueTeam.Alerting;
using BlueTeam.Core.Config;
using BlueTeam.Storage;

namespace BlueTeam.Bench;

/// <summary>
/// `store [--count N] [--batches 1,100,1000]`: new incidents with two delivery rows each, saved
/// in batches of each size, with a stopwatch; prints incidents/s (by the wall clock, and by this
/// process's CPU time, which a loaded machine does not inflate) and checks the chain afterwards.
/// SQLite always; PostgreSQL too when BLUETEAM_BENCH_POSTGRES holds a connection string.
/// </summary>
internal static class StoreHarness
{
    private static readonly string[] Channels = ["email", "syslog"];
    private const string Host = "eqmon-web01";

    public static int Run(string[] args)
    {
        var count = int.Parse(Option(args, "--count") ?? "20000", CultureInfo.InvariantCulture);
        var batches = (Option(args, "--batches") ?? "1,100,1000").Split(',').Select(b => int.Parse(b, CultureInfo.InvariantCulture)).ToArray();
        var postgres = Environment.GetEnvironmentVariable("BLUETEAM_BENCH_POSTGRES");

        Console.WriteLine($"{"store",-10} {"batch",6} {"incidents",10} {"seconds",8} {"incidents/s",12} {"ms/batch",9} {"cpu s",6} {"per cpu-s",12}  chain");
        foreach (var batch in batches) MeasureAsync("sqlite", null, batch, count).GetAwaiter().GetResult();
        if (!string.IsNullOrEmpty(postgres))
            foreach (var batch in batches) MeasureAsync("postgres", postgres, batch, count).GetAwaiter().GetResult();
        else Console.Error.WriteLine("BLUETEAM_BENCH_POSTGRES is not set: PostgreSQL skipped");
        return 0;
    }

    private static async Task MeasureAsync(string driver, string? connectionString, int batch, int count)
    {
        // One save per transaction is slow enough that a tenth of the incidents gives a steady figure.
        var total = batch == 1 ? Math.Max(1, count / 10) : count;
        string? directory = null;
        IBlueTeamStore store;
        if (connectionString is not null)
        {
            store = StoreFactory.Create(new DatabaseOptions { Driver = DatabaseDriver.Postgres, ConnectionString = connectionString });
        }
        else
        {
            directory = Directory.CreateTempSubdirectory("blueteam-bench-").FullName;
            store = StoreFactory.Create(new DatabaseOptions { Path = Path.Combine(directory, "bench.db") });
        }
        try
        {
            await store.MigrateAsync(CancellationToken.None).ConfigureAwait(false);
            var next = DateTimeOffset.UtcNow.Ticks; // fresh fingerprints even against a reused PostgreSQL
            AlertSaveRequest[] Batch(int size) =>
                Enumerable.Range(0, size).Select(_ => new AlertSaveRequest(StoreBenchmarks.Incident(next++), Host, Channels)).ToArray();

            await SaveAsync(store, Batch(batch)).ConfigureAwait(false); // warm-up: pool, prepared statements, JIT
            var work = Enumerable.Range(0, (total + batch - 1) / batch).Select(_ => Batch(batch)).ToArray();
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var stopwatch = Stopwatch.StartNew();
            foreach (var saves in work) await SaveAsync(store, saves).ConfigureAwait(false);
            var seconds = stopwatch.Elapsed.TotalSeconds;
            // This process's CPU (all its threads) while saving: on a loaded machine the wall clock
            // also counts the waits for a core; the client's side of the work is this.
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
            var saved = work.Sum(w => w.Length);

            var chain = await store.VerifyChainAsync(Host, CancellationToken.None).ConfigureAwait(false);
            var intact = chain.All(c => c.IsIntact) ? "intact" : "BROKEN";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{driver,-10} {batch,6} {saved,10} {seconds,8:F2} {saved / seconds,12:N0} {seconds * 1000 / work.Length,9:F2} {cpu,6:F2} {saved / cpu,12:N0}  {intact}"));
        }
        finally
        {
            await store.DisposeAsync().ConfigureAwait(false);
            if (directory is not null) Directory.Delete(directory, recursive: true);
        }
    }

    // A batch of one goes through SaveAlertAsync, as the engine saved before batches existed.
    private static Task SaveAsync(IBlueTeamStore store, AlertSaveRequest[] saves) =>
        saves.Length == 1
            ? store.SaveAlertAsync(saves[0].Incident, saves[0].Host, saves[0].Channels, CancellationToken.None)
            : store.SaveAlertsAsync(saves, CancellationToken.None);

    private static string? Option(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }
}
