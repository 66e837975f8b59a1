using BenchmarkDotNet.Attributes;
using BlueTeam.Alerting;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Storage;

namespace BlueTeam.Bench;

/// <summary>
/// Persisting new incidents with their delivery rows (two channels each): one SaveAlertAsync per
/// incident (as the engine did before batches), and SaveAlertsAsync in batches of 100 and 1,000
/// (as scan --store and the daemon's bursts do). SQLite always; PostgreSQL when
/// BLUETEAM_BENCH_POSTGRES holds a connection string (scripts/start-postgres.sh starts one).
/// </summary>
[MemoryDiagnoser]
public class StoreBenchmarks
{
    private const int Batch = 500;
    private const int Batched = 1000;
    private static readonly string[] Channels = ["email", "syslog"];
    private IBlueTeamStore _store = null!;
    private string? _directory;
    private long _next;

    [Params("sqlite", "postgres")]
    public string Driver { get; set; } = "sqlite";

    [GlobalSetup]
    public void Setup()
    {
        if (Driver == "postgres")
        {
            var cs = Environment.GetEnvironmentVariable("BLUETEAM_BENCH_POSTGRES");
            if (string.IsNullOrEmpty(cs)) throw new InvalidOperationException("set BLUETEAM_BENCH_POSTGRES to benchmark PostgreSQL (or --filter '*sqlite*')");
            _store = StoreFactory.Create(new DatabaseOptions { Driver = DatabaseDriver.Postgres, ConnectionString = cs });
        }
        else
        {
            _directory = Directory.CreateTempSubdirectory("blueteam-bench-").FullName;
            _store = StoreFactory.Create(new DatabaseOptions { Path = Path.Combine(_directory, "bench.db") });
        }
        _store.MigrateAsync(CancellationToken.None).GetAwaiter().GetResult();
        _next = DateTimeOffset.UtcNow.Ticks; // fresh fingerprints even against a reused PostgreSQL
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (_directory is not null) Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public async Task SaveNewIncidents()
    {
        for (var i = 0; i < Batch; i++)
            await _store.SaveAlertAsync(Incident(_next++), "eqmon-web01", Channels, CancellationToken.None).ConfigureAwait(false);
    }

    [Benchmark(OperationsPerInvoke = Batched)]
    public Task SaveInBatchesOf100() => SaveInBatchesAsync(100);

    [Benchmark(OperationsPerInvoke = Batched)]
    public Task SaveInBatchesOf1000() => SaveInBatchesAsync(1000);

    private async Task SaveInBatchesAsync(int size)
    {
        for (var done = 0; done < Batched; done += size)
        {
            var saves = new AlertSaveRequest[size];
            for (var i = 0; i < size; i++) saves[i] = new AlertSaveRequest(Incident(_next++), "eqmon-web01", Channels);
            await _store.SaveAlertsAsync(saves, CancellationToken.None).ConfigureAwait(false);
        }
    }

    internal static SecurityIncident Incident(long n)
    {
        var seen = new DateTimeOffset(2026, 3, 10, 8, 30, 0, TimeSpan.Zero);
        return new SecurityIncident
        {
            Rule = new IncidentRule { Id = "ssh_brute_force", Name = "ssh_brute_force" },
            Title = "SSH brute force from 203.0.113.7",
            Severity = Severity.High,
            DetectedBy = "ssh_brute_force",
            NistControls = ["3.1.8", "3.14.6"],
            Source = new EcsSource { Ip = "203.0.113.7" },
            FirstSeen = seen,
            LastSeen = seen.AddMinutes(1),
            EventCount = 10,
            Fingerprint = SecurityIncident.ComputeFingerprint("ssh_brute_force", seen, n.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
    }
}
