using BenchmarkDotNet.Attributes;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Correlation;
using BlueTeam.Parsing;
using BlueTeam.Sources;

namespace BlueTeam.Bench;

/// <summary>
/// The built-in rules over a parsed stream of auth events: mostly sshd failures spread over
/// <see cref="Sources"/> attacker addresses, with logins, sessions and sudo between them.
/// Each invocation starts from empty rule state, so the figure includes growing the per-key tables.
/// </summary>
[MemoryDiagnoser]
public class CorrelationBenchmarks
{
    private const int EventCount = 20_000;
    private SecurityEvent[] _events = [];

    [Params(100, 10_000)]
    public int Sources { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var parsers = ParserRegistry.CreateDefault();
        var events = new List<SecurityEvent>(EventCount);
        var start = new DateTime(2026, 3, 10, 0, 0, 0, DateTimeKind.Utc);
        var rng = new Random(42);
        for (var i = 0; events.Count < EventCount; i++)
        {
            var t = start.AddSeconds(i).ToString("MMM dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
            var ip = $"10.{(i % Sources) >> 16 & 255}.{(i % Sources) >> 8 & 255}.{i % Sources & 255}";
            var text = (i % 10) switch
            {
                < 6 => $"{t} eqmon-web01 sshd[{i}]: Failed password for root from {ip} port {1024 + rng.Next(60000)} ssh2",
                6 => $"{t} eqmon-web01 sshd[{i}]: Invalid user admin from {ip} port {1024 + rng.Next(60000)}",
                7 => $"{t} eqmon-web01 sshd[{i}]: Accepted publickey for deploy from 198.51.100.20 port 50122 ssh2",
                8 => $"{t} eqmon-web01 CRON[{i}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
                _ => $"{t} eqmon-web01 sudo[{i}]:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/apt update",
            };
            if (parsers.Parse(Lines.Raw(text, "auth"), Lines.Context) is { } e) events.Add(e);
        }
        _events = [.. events];
    }

    [Benchmark(OperationsPerInvoke = EventCount)]
    public int BuiltInRules()
    {
        var correlator = new Correlator(RuleCatalog.Build(new CorrelationOptions(), new RuleContext { Host = "eqmon-web01" }));
        var incidents = 0;
        foreach (var e in _events) incidents += correlator.Process(e).Count;
        return incidents;
    }
}
