using System.Globalization;
using System.Text;
using System.Text.Json;
using BlueTeam.Sources;
using BlueTeam.Storage;
using BlueTeam.Storage.Fleet;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Reliability;

/// <summary>
/// What the fault suites share: a daemon config on temp files, a scripted attack writer whose
/// every attack's byte range is known, and readers of the store's checkpoints and alerts.
/// </summary>
internal static class FaultRig
{
    /// <summary>
    /// Rules that would fire on the benign noise or on the wall clock, and the spread-attack rules, which
    /// rightly see the suites' load (hundreds of attacking addresses against one host and one account)
    /// as one distributed attack; the suites count one rule exactly.
    /// </summary>
    public static readonly string[] QuietRules =
        ["off_hours_login", "new_login_source", "log_source_silent", "login_after_failures", "password_spray", "root_login",
         "distributed_brute_force", "account_brute_force"];

    /// <summary>A count from the environment (the long script raises them), else the short CI value.</summary>
    public static int Setting(string name, int ciDefault) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : ciDefault;

    /// <remarks>
    /// The fault tests write their attacks with past timestamps before the daemon's first start and count the
    /// alerts each one gets; the first-start digest (docs/ALERTING.md) would fold those into one, so it is off here.
    /// </remarks>
    public static string Config(string host, string database, int pollSec, string collectors, string alerting, string extra = "")
    {
        var rules = string.Join("\n", QuietRules.Select(r => $"    {r}: {{enabled: false}}"));
        return $"""
            host: {host}
            database: {database}
            monitoring: {"{"}poll_interval_sec: {pollSec}{"}"}
            correlation:
              rules:
            {rules}
            collectors:
            {collectors}
            alerting:
              first_start_digest: false
            {alerting}
            {extra}
            """;
    }

    /// <summary>Alerting that sends every incident to a JSON-lines file only, each alert once (no update re-sends).</summary>
    public static string FileOnlyAlerting(string path) => $"""
          console: {"{"}enabled: false{"}"}
          syslog: {"{"}enabled: false{"}"}
          email: {"{"}enabled: false{"}"}
          file: {"{"}enabled: true, path: {path}{"}"}
          count_step_factor: 1000
          routing: {"{"}critical: [file], high: [file], medium: [file], low: [file], info: [file]{"}"}
        """;

    /// <summary>The daemon's checkpoint of <paramref name="path"/>: kept under the daemon's host name (one row per host, migration 12).</summary>
    public static async Task<Checkpoint?> CheckpointAsync(string sqlitePath, string collector, string path)
    {
        string? host;
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={sqlitePath};Mode=ReadOnly;Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT host FROM checkpoints WHERE collector = $collector AND path = $path";
            command.Parameters.AddWithValue("$collector", collector);
            command.Parameters.AddWithValue("$path", path);
            host = (string?)await command.ExecuteScalarAsync();
        }
        if (host is null) return null;
        await using var store = new SqliteStore(sqlitePath);
        var perHost = HostCheckpointStore.For(store, host);
        return (await perHost.GetCheckpointsAsync(collector, CancellationToken.None)).SingleOrDefault(c => c.Path == path);
    }

    public static async Task<List<JsonElement>> AlertsAsync(string config)
    {
        var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["--config", config, "alerts", "list", "--format", "json", "--limit", "1000000"]);
        Assert.True(exit == 0, stderr);
        return JsonDocument.Parse(stdout).RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }

    /// <summary>Alert id → how many times the file channel wrote it.</summary>
    public static Dictionary<string, int> FileDeliveries(string path) =>
        !File.Exists(path)
            ? []
            : File.ReadLines(path).Where(l => l.Length > 0)
                .GroupBy(l => JsonDocument.Parse(l).RootElement.GetProperty("event").GetProperty("id").GetString()!, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    /// <summary>Polls <paramref name="condition"/> until true or fails with <paramref name="what"/>.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException(what());
            await Task.Delay(250);
        }
    }
}

/// <summary>One scripted SSH brute force: its source address and where its lines are in the file.</summary>
internal sealed record Attack(string Ip, long Start, long End, int Lines);

/// <summary>
/// Appends a mix of benign lines and SSH brute forces (one source address each, spaced further
/// apart in event time than the rule's window) to a log, one write per line, and remembers the
/// byte range of every attack and the total line count.
/// </summary>
internal sealed class AttackWriter
{
    private readonly string _path;
    private readonly int _linesPerAttack;
    private readonly DateTime _start = DateTime.Now.AddDays(-3).Date.AddHours(1);
    private readonly List<Attack> _attacks = [];
    private long _length;
    private int _n;

    public AttackWriter(string path, int linesPerAttack = 12)
    {
        _path = path;
        _linesPerAttack = linesPerAttack;
        _length = File.Exists(path) ? new FileInfo(path).Length : 0;
    }

    public IReadOnlyList<Attack> Attacks { get { lock (_attacks) return _attacks.ToList(); } }
    public long Lines { get; private set; }
    public long Length => Interlocked.Read(ref _length);

    /// <summary>Writes one attack and two benign lines, with <paramref name="pause"/> between lines.</summary>
    public async Task WriteNextAsync(TimeSpan pause, CancellationToken ct = default)
    {
        var n = _n++;
        var t = _start.AddMinutes(6 * n); // the brute-force window is 5 min: attacks never share one
        var ip = $"10.{n / 65536 % 256}.{n / 256 % 256}.{n % 256}";
        await AppendAsync(AuthLogLines.Cron(t), ct);
        var start = _length;
        foreach (var line in AuthLogLines.FailedPasswords(ip, _linesPerAttack, t.AddSeconds(1), TimeSpan.FromSeconds(2)))
        {
            await AppendAsync(line, ct);
            if (pause > TimeSpan.Zero) await Task.Delay(pause, ct);
        }
        lock (_attacks) _attacks.Add(new Attack(ip, start, _length, _linesPerAttack));
        await AppendAsync(AuthLogLines.Accepted("198.51.100.20", t.AddSeconds(40)), ct);
    }

    public async Task AppendAsync(string line, CancellationToken ct = default)
    {
        var bytes = Encoding.UTF8.GetBytes(line + "\n");
        await using (var f = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
            await f.WriteAsync(bytes, ct);
        Interlocked.Add(ref _length, bytes.Length);
        Lines++;
    }

    /// <summary>Called after the file was rotated away: the next line starts a new, empty file.</summary>
    public void Rotated() => Interlocked.Exchange(ref _length, 0);
}
