using System.Diagnostics;
using System.Globalization;
using BlueTeam.Correlation.Fleet;
using BlueTeam.Storage;
using BlueTeam.Storage.Fleet;
using Npgsql;

namespace BlueTeam.Bench;

/// <summary>
/// `fleet --hosts N --seconds S --binary BLUETEAM [--rate R] [--spray-every SEC]`: N simulated hosts (up to 200)
/// publish fleet signals through the real store code into a fresh database of the PostgreSQL named by
/// BLUETEAM_BENCH_POSTGRES, while one real `blueteam monitor` is the elected fleet correlator. Background: each host
/// publishes R failures a second on average from random sources (internet noise); every SEC seconds a spray from a
/// fresh source hits 5 random hosts with 3 attempts each. Reports signals/s accepted, fleet incident latency (the
/// fifth host's publication, the attempt that crosses the threshold, to the stored incident), table growth
/// extrapolated per host and day, and the leader's CPU.
/// </summary>
internal static class FleetHarness
{
    public static int Run(string[] args)
    {
        var hosts = Int(args, "--hosts", 50);
        var seconds = Int(args, "--seconds", 60);
        var rate = double.Parse(Arg(args, "--rate") ?? "0.5", CultureInfo.InvariantCulture);
        var sprayEvery = Int(args, "--spray-every", 5);
        var binary = Arg(args, "--binary") ?? throw new ArgumentException("--binary BLUETEAM is required (bench/fleet.sh passes it)");
        var server = Environment.GetEnvironmentVariable("BLUETEAM_BENCH_POSTGRES")
            ?? throw new ArgumentException("BLUETEAM_BENCH_POSTGRES must name the PostgreSQL server (scripts/start-postgres.sh prints it)");
        if (hosts is < 1 or > 200) throw new ArgumentException("--hosts must be between 1 and 200");
        return RunAsync(server, binary, hosts, seconds, rate, sprayEvery).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(string server, string binary, int hosts, int seconds, double rate, int sprayEvery)
    {
        var database = "blueteam_fleet_bench_" + Guid.NewGuid().ToString("N");
        await ExecuteAsync(server, $"CREATE DATABASE \"{database}\"");
        var connection = new NpgsqlConnectionStringBuilder(server) { Database = database, MaxPoolSize = Math.Min(hosts, 50) + 5 }.ToString();
        var dir = Directory.CreateTempSubdirectory("blueteam-fleet-bench");
        Process? leader = null;
        try
        {
            await using (var store = PostgresStore.Create(connection)) await store.MigrateAsync(CancellationToken.None);
            leader = StartLeader(binary, dir.FullName, connection);
            await WaitElectedAsync(leader, TimeSpan.FromSeconds(60));
            await using var signals = new SignalsStore(connection);

            var cpuStart = CpuTime(leader.Id);
            var clock = Stopwatch.StartNew();
            var sprays = new List<(string Source, DateTimeOffset CrossedAt)>();
            var accepted = 0L;
            var publishTimes = new List<double>();
            var gate = new object();
            var tasks = Enumerable.Range(0, hosts).Select(h => Task.Run(async () =>
            {
                var random = new Random(h);
                var host = $"sim{h:000}";
                while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
                {
                    var next = clock.Elapsed + TimeSpan.FromSeconds(1);
                    var count = (int)rate + (random.NextDouble() < rate - (int)rate ? 1 : 0);
                    if (count > 0)
                    {
                        var bucket = Minute(DateTimeOffset.UtcNow);
                        var batch = Enumerable.Range(0, count).Select(_ => new FleetSignal(0, host, bucket,
                            $"10.{random.Next(256)}.{random.Next(256)}.{random.Next(256)}", random.Next(4) == 0 ? "root" : $"user{random.Next(1000)}", random.Next(1, 4))).ToList();
                        var started = Stopwatch.GetTimestamp();
                        await signals.PublishAsync(batch, CancellationToken.None);
                        lock (gate)
                        {
                            accepted += batch.Count;
                            publishTimes.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        }
                    }
                    var wait = next - clock.Elapsed;
                    if (wait > TimeSpan.Zero) await Task.Delay(wait);
                }
            })).ToList();
            var sprayTask = Task.Run(async () =>
            {
                var random = new Random(7);
                for (var i = 0; clock.Elapsed < TimeSpan.FromSeconds(seconds - 2); i++)
                {
                    await Task.Delay(TimeSpan.FromSeconds(sprayEvery));
                    var source = $"198.18.{i / 250}.{i % 250 + 1}";
                    var targets = Enumerable.Range(0, hosts).OrderBy(_ => random.Next()).Take(Math.Min(5, hosts)).ToList();
                    foreach (var t in targets)
                        await signals.PublishAsync([new FleetSignal(0, $"sim{t:000}", Minute(DateTimeOffset.UtcNow), source, "root", 3)], CancellationToken.None);
                    lock (gate) accepted += targets.Count;
                    sprays.Add((source, DateTimeOffset.UtcNow)); // the fifth host's publication has committed: the threshold is crossed
                }
            });
            await Task.WhenAll(tasks.Append(sprayTask));
            var elapsed = clock.Elapsed.TotalSeconds;
            await Task.Delay(TimeSpan.FromSeconds(10)); // the last sprays' incidents
            var cpu = (CpuTime(leader.Id) - cpuStart).TotalSeconds / clock.Elapsed.TotalSeconds * 100;

            var latencies = new List<double>();
            var missing = 0;
            foreach (var (source, crossed) in sprays)
            {
                var created = await CreatedAtAsync(connection, source);
                if (created is null) missing++;
                else latencies.Add((created.Value - crossed).TotalMilliseconds);
            }
            var rows = await ScalarAsync(connection, "SELECT count(*) FROM blueteam.fleet_signals");
            var bytes = await ScalarAsync(connection, "SELECT pg_total_relation_size('blueteam.fleet_signals')");
            var noise = await ScalarAsync(connection, "SELECT count(*) FROM blueteam.alert_history WHERE rule_name = 'fleet_ssh_spray' AND source_ip NOT LIKE '198.18.%'");
            latencies.Sort();
            publishTimes.Sort();
            var perHostDay = 86400 / elapsed / hosts;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"hosts {hosts}, {elapsed:F0} s, background {rate} failures/host/s, a spray every {sprayEvery} s"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"signals accepted: {accepted} ({accepted / elapsed:F0}/s); publish p50 {Pct(publishTimes, 50):F1} ms, p99 {Pct(publishTimes, 99):F1} ms"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fleet incidents: {latencies.Count} of {sprays.Count} sprays raised ({missing} missing, {noise} from background noise); latency p50 {Pct(latencies, 50):F0} ms, p99 {Pct(latencies, 99):F0} ms, max {(latencies.Count > 0 ? latencies[^1] : double.NaN):F0} ms"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fleet_signals: {rows} rows, {bytes / 1024.0 / 1024:F1} MiB with indexes; per host per day: {rows * perHostDay:F0} rows, {bytes * perHostDay / 1024 / 1024:F1} MiB"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"leader CPU: {cpu:F1} % of one core (the whole daemon, correlating {accepted / elapsed:F0} signals/s)"));
            return missing == 0 ? 0 : 1;
        }
        finally
        {
            if (leader is { HasExited: false })
            {
                leader.Kill();
                await leader.WaitForExitAsync();
            }
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(server, $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
            dir.Delete(recursive: true);
        }
    }

    private static Process StartLeader(string binary, string dir, string connection)
    {
        var log = Path.Combine(dir, "auth.log");
        File.WriteAllText(log, "");
        var config = Path.Combine(dir, "leader.yaml");
        File.WriteAllText(config, $$"""
            host: fleet-bench-leader
            database: {driver: postgres, connection_string: "{{connection}}"}
            monitoring: {host_silent_sec: 0}
            collectors:
              auth_log: {type: auth, paths: [{{log}}]}
            alerting:
              syslog: {enabled: false}
            fleet: {enabled: true}
            """);
        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--config", config, "monitor", "--no-dashboard", "--allow-root" }) start.ArgumentList.Add(a);
        return Process.Start(start) ?? throw new InvalidOperationException($"cannot start {binary}");
    }

    private static async Task WaitElectedAsync(Process leader, TimeSpan timeout)
    {
        var elected = new TaskCompletionSource();
        void Watch(object _, DataReceivedEventArgs e) { if (e.Data?.Contains("Fleet correlator elected", StringComparison.Ordinal) == true) elected.TrySetResult(); }
        leader.OutputDataReceived += Watch;
        leader.ErrorDataReceived += Watch;
        leader.BeginOutputReadLine();
        leader.BeginErrorReadLine();
        if (await Task.WhenAny(elected.Task, Task.Delay(timeout)) != elected.Task)
            throw new TimeoutException("the daemon was not elected fleet correlator within " + timeout);
    }

    private static async Task<DateTimeOffset?> CreatedAtAsync(string connection, string source)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT min(created_at) FROM blueteam.alert_history WHERE rule_name = 'fleet_ssh_spray' AND source_ip = @s", c);
        command.Parameters.AddWithValue("s", source);
        return await command.ExecuteScalarAsync() is DateTime t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : null;
    }

    private static async Task<long> ScalarAsync(string connection, string sql)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var command = new NpgsqlCommand(sql, c);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private static async Task ExecuteAsync(string connection, string sql)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var command = new NpgsqlCommand(sql, c); // our own database name: a prefix and hex digits
        await command.ExecuteNonQueryAsync();
    }

    private static TimeSpan CpuTime(int pid)
    {
        // utime and stime, fields 14 and 15 of /proc/PID/stat, after the command name in parentheses.
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    private static DateTimeOffset Minute(DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerMinute, TimeSpan.Zero);

    private static double Pct(List<double> sorted, int p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1)];

    private static string? Arg(string[] args, string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

    private static int Int(string[] args, string name, int fallback) => Arg(args, name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
