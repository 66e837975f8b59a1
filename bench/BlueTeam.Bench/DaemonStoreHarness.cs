using System.Diagnostics;
using System.Globalization;
using BlueTeam.Alerting;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Correlation;
using BlueTeam.Correlation.State;
using BlueTeam.Engine;
using BlueTeam.Parsing;
using BlueTeam.Sources;
using BlueTeam.Storage;

namespace BlueTeam.Bench;

/// <summary>
/// `daemon-store [--attackers N] [--failures K] [--batch B] [--new-only] [--warmup W] [--only sqlite|postgres]`: the daemon's raise path with a stopwatch. Real incidents, made by the
/// engine from generated auth lines (N brute forces from N addresses, each going on past its threshold, so new
/// incidents and updates of them with their evidence), raised as the pipeline worker raises them: through
/// <see cref="AlertEngine.RaiseAllAsync"/> (routes, silences, dedup of updates per channel) over the spooling store
/// the daemon uses, in batches of at most B (the worker's cap is 1,000). Prints incidents (new and updates) stored
/// per second by the wall clock and per CPU-second of this process. SQLite always; PostgreSQL too when
/// BLUETEAM_BENCH_POSTGRES holds a connection string. Before the stopwatch starts, W incidents (default 10,000;
/// 0 for none) of the same kind but other fingerprints go through the same engine and store, untimed: a daemon
/// runs for weeks, so what it sustains is the code after the JIT's tiering, not the first seconds' unoptimized code.
/// (After 2,000, the default until December 2026, a profile of the timed part still found the JIT's tiering thread
/// in 15 % of the samples, on the core the database server needs.)
/// </summary>
internal static class DaemonStoreHarness
{
    private const string Host = "eqmon-web01";

    public static int Run(string[] args)
    {
        var attackers = int.Parse(Option(args, "--attackers") ?? "10000", CultureInfo.InvariantCulture);
        var batch = int.Parse(Option(args, "--batch") ?? "1000", CultureInfo.InvariantCulture);
        var failures = int.Parse(Option(args, "--failures") ?? "8", CultureInfo.InvariantCulture);
        var warmup = int.Parse(Option(args, "--warmup") ?? "10000", CultureInfo.InvariantCulture);
        var incidents = Incidents(attackers, failures);
        if (args.Contains("--new-only")) incidents = incidents.DistinctBy(i => i.Fingerprint).ToList(); // the worst case: every raise a new alert
        var fresh = incidents.Select(i => i.Fingerprint).Distinct().Count();
        // Twice: the first pass also compiles the serializer; the second is what a running daemon pays.
        long jsonBytes = 0;
        var serialize = Stopwatch.StartNew();
        for (var pass = 0; pass < 2; pass++)
        {
            serialize.Restart();
            jsonBytes = 0;
            foreach (var incident in incidents) jsonBytes += EcsJson.Serialize(incident).Length;
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"(rendering each incident's JSON, second pass: {serialize.Elapsed.TotalMilliseconds:F0} ms, {serialize.Elapsed.TotalMicroseconds / Math.Max(1, incidents.Count):F1} µs and {jsonBytes / Math.Max(1, incidents.Count):N0} chars each)"));
        Console.WriteLine($"{incidents.Count:N0} incidents to raise ({fresh:N0} new, {incidents.Count - fresh:N0} updates), batches of {batch:N0}, after {Math.Min(warmup, incidents.Count):N0} untimed");
        Console.WriteLine($"{"store",-10} {"incidents",10} {"seconds",8} {"incidents/s",12} {"cpu s",6} {"per cpu-s",10}  {"queued",7}  chain");
        var only = Option(args, "--only");
        if (only is not (null or "sqlite" or "postgres")) throw new ArgumentException("--only takes sqlite or postgres");
        if (only is null or "sqlite") MeasureAsync("sqlite", null, incidents, batch, warmup).GetAwaiter().GetResult();
        var postgres = Environment.GetEnvironmentVariable("BLUETEAM_BENCH_POSTGRES");
        if (only == "sqlite") return 0;
        if (!string.IsNullOrEmpty(postgres)) MeasureAsync("postgres", postgres, incidents, batch, warmup).GetAwaiter().GetResult();
        else Console.Error.WriteLine("BLUETEAM_BENCH_POSTGRES is not set: PostgreSQL skipped");
        return 0;
    }

    /// <summary><paramref name="failures"/> failures from each attacker (threshold 5): one new incident and its updates, rendered as the worker renders them.</summary>
    private static List<SecurityIncident> Incidents(int attackers, int failures)
    {
        var pipeline = new DetectionPipeline(ParserRegistry.CreateDefault(), new Correlator(RuleCatalog.Build(new CorrelationOptions(), new RuleContext { Host = Host })));
        var context = new ParseContext { TimeZone = TimeZoneInfo.Utc, Year = 2026, DefaultHost = Host };
        var events = new List<SecurityEvent>();
        var updates = new List<IncidentUpdate>();
        var start = new DateTime(2026, 3, 10, 8, 0, 0);
        long offset = 0;
        var rendered = new List<SecurityIncident>();
        for (var a = 0; a < attackers; a++)
        {
            var address = $"10.{a >> 16 & 255}.{a >> 8 & 255}.{a & 255}";
            for (var k = 0; k < failures; k++)
            {
                var at = start.AddSeconds(a * 0.01 + k * 2);
                var text = string.Create(CultureInfo.InvariantCulture, $"{at:MMM d HH:mm:ss} {Host} sshd[{4000 + a % 30000}]: Failed password for root from {address} port {40000 + k} ssh2");
                events.Clear();
                updates.Clear();
                pipeline.Process(new RawLine { Collector = "auth_log", Type = "auth", Path = "/var/log/auth.log", Text = text, Offset = offset, EndOffset = offset + text.Length + 1 },
                    context, events, updates);
                offset += text.Length + 1;
                foreach (var update in updates) rendered.Add(update.ToIncident());
            }
        }
        return rendered;
    }

    private static async Task MeasureAsync(string driver, string? connectionString, List<SecurityIncident> incidents, int batch, int warmup)
    {
        var directory = Directory.CreateTempSubdirectory("blueteam-bench-").FullName;
        IBlueTeamStore store = connectionString is null
            ? StoreFactory.Create(new DatabaseOptions { Path = Path.Combine(directory, "bench.db") })
            : StoreFactory.Create(new DatabaseOptions { Driver = DatabaseDriver.Postgres, ConnectionString = connectionString });
        try
        {
            await store.MigrateAsync(CancellationToken.None).ConfigureAwait(false);
            if (connectionString is not null) incidents = Refingerprinted(incidents); // a reused server must see them as new
            using var spool = new SpoolingAlertStore(store, Path.Combine(directory, "spool.jsonl"));
            var options = new AlertingOptions();
            options.Syslog.Enabled = true;
            options.File.Enabled = true;
            options.File.Path = Path.Combine(directory, "alerts.jsonl");
            var engine = new AlertEngine(new AlertRouter(options, ["syslog", "file"]), spool, Host, options, TimeProvider.System, spool, spool, spool);

            foreach (var chunk in incidents.Take(warmup).Select(i => i with { Fingerprint = i.Fingerprint + "-warmup" }).Chunk(batch))
                await engine.RaiseAllAsync(chunk, CancellationToken.None).ConfigureAwait(false);
            if (connectionString is not null && warmup > 0) await AnalyzeAsync(connectionString).ConfigureAwait(false);

            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var stopwatch = Stopwatch.StartNew();
            long queued = 0;
            foreach (var chunk in incidents.Chunk(batch))
                foreach (var raised in await engine.RaiseAllAsync(chunk, CancellationToken.None).ConfigureAwait(false))
                    queued += raised.Queued.Count;
            var seconds = stopwatch.Elapsed.TotalSeconds;
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;

            var chain = await store.VerifyChainAsync(Host, CancellationToken.None).ConfigureAwait(false);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{driver,-10} {incidents.Count,10} {seconds,8:F2} {incidents.Count / seconds,12:N0} {cpu,6:F2} {incidents.Count / cpu,10:N0}  {queued,7}  {(chain.All(c => c.IsIntact) ? "intact" : "BROKEN")}"));
        }
        finally
        {
            await store.DisposeAsync().ConfigureAwait(false);
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// What autovacuum does within a minute of a table's first rows, and a run of seconds never sees: the planner's
    /// statistics. Without them PostgreSQL takes every alert for acknowledged and reads the whole history for the
    /// daemon's once-a-batch "did the acks change" question instead of the partial index of acknowledged rows.
    /// </summary>
    private static async Task AnalyzeAsync(string connectionString)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync().ConfigureAwait(false);
        await using var analyze = new Npgsql.NpgsqlCommand("ANALYZE blueteam.alert_history", connection);
        await analyze.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    private static List<SecurityIncident> Refingerprinted(List<SecurityIncident> incidents)
    {
        var run = DateTimeOffset.UtcNow.Ticks.ToString(CultureInfo.InvariantCulture);
        return incidents.Select(i => i with { Fingerprint = i.Fingerprint + "-" + run }).ToList();
    }

    private static string? Option(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }
}
