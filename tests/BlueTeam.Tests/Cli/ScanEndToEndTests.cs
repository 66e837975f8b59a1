using System.Text.Json;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Cli;

/// <summary>`blueteam scan` run as a process on files it has never seen.</summary>
public class ScanEndToEndTests : IDisposable
{
    private readonly TempDir _dir = new();
    private static readonly DateTime Start = new(2026, 3, 10, 8, 30, 0);

    public void Dispose() => _dir.Dispose();

    private string WriteLog(IEnumerable<string> lines)
    {
        var path = _dir.File("auth.log");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public async Task Scan_TwelveFailuresInTwoMinutes_PrintsExactlyOneBruteForceIncident()
    {
        var log = WriteLog([AuthLogLines.Cron(Start), .. AuthLogLines.FailedPasswords("203.0.113.7", 12, Start.AddSeconds(5), TimeSpan.FromSeconds(10))]);
        var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["scan", "--emit", "incidents", "--format", "jsonl", "--year", "2026", log]);
        Assert.True(exit == 0, stderr);
        var incidents = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var incident = Assert.Single(incidents);
        Assert.Equal("ssh_brute_force", incident.GetProperty("rule").GetProperty("name").GetString());
        Assert.Equal("203.0.113.7", incident.GetProperty("source").GetProperty("ip").GetString());
        Assert.Equal("high", incident.GetProperty("severity").GetString());
        Assert.Equal(12, incident.GetProperty("event_count").GetInt32());
    }

    [Fact]
    public async Task Scan_ThreeFailures_PrintsNothing()
    {
        var log = WriteLog(AuthLogLines.FailedPasswords("203.0.113.7", 3, Start, TimeSpan.FromSeconds(10)));
        var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["scan", "--emit", "incidents", "--format", "jsonl", log]);
        Assert.True(exit == 0, stderr);
        Assert.Equal("", stdout.Trim());
    }

    [Theory]
    [InlineData("Auth", 0, "")]
    [InlineData("nginx", 2, "unknown format 'nginx' (known: access, audit, auth, journald, json)")]
    public async Task Scan_TypeOption_TakesARegisteredFormatInAnyCase_RefusesOthersWithTheList(string type, int expectedExit, string expectedError)
    {
        var log = WriteLog(AuthLogLines.FailedPasswords("203.0.113.7", 12, Start, TimeSpan.FromSeconds(10)));
        var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["scan", "--type", type, "--format", "jsonl", "--year", "2026", log]);
        Assert.True(exit == expectedExit, stderr);
        Assert.Contains(expectedError, stderr, StringComparison.Ordinal);
        if (expectedExit == 0) Assert.Contains("ssh_brute_force", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("auth")] // read by the parsing thread
    [InlineData(null)]   // read first to detect the format
    public async Task Scan_FileThatCannotBeRead_SaysWhichAndWhy_ExitOne(string? type)
    {
        // /proc/self/mem exists and opens, and every read of it fails with an I/O error (a real one, even for root).
        string[] args = type is null ? ["scan", "/proc/self/mem"] : ["scan", "--type", type, "/proc/self/mem"];
        var (exit, _, stderr) = await BlueTeamProcess.RunAsync(args);
        Assert.Equal(1, exit);
        Assert.Contains("blueteam: cannot read /proc/self/mem: ", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scan_EmitEvents_PrintsOneEcsObjectPerEvent()
    {
        var log = WriteLog([.. AuthLogLines.FailedPasswords("2001:db8::7", 2, Start, TimeSpan.FromSeconds(1)), AuthLogLines.Accepted("198.51.100.20", Start.AddMinutes(1))]);
        var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["scan", "--emit", "events", "--format", "jsonl", "--year", "2026", log]);
        Assert.True(exit == 0, stderr);
        var events = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(3, events.Count);
        Assert.Equal("failure", events[0].GetProperty("event").GetProperty("outcome").GetString());
        Assert.Equal("2001:db8::7", events[0].GetProperty("source").GetProperty("ip").GetString());
        Assert.Equal("success", events[2].GetProperty("event").GetProperty("outcome").GetString());
        Assert.Equal("deploy", events[2].GetProperty("user").GetProperty("name").GetString());
        Assert.StartsWith("2026-03-10T08:30:00", events[0].GetProperty("@timestamp").GetString());
    }

    [Fact]
    public async Task ConfigCheck_BrokenConfig_ExitsTwoNamingKeyAndLine()
    {
        var config = _dir.File("blueteam.yaml");
        await File.WriteAllTextAsync(config, "monitoring:\n  poll_interval_sec: 5\nalerting:\n  emial: {enabled: true}\n");
        var (exit, _, stderr) = await BlueTeamProcess.RunAsync(["--config", config, "config", "check"]);
        Assert.Equal(2, exit);
        Assert.Contains("alerting.emial", stderr);
        Assert.Contains($"{config}:4:3: alerting.emial", stderr);
    }

    [Theory]
    [InlineData("alerting:\n  file: {enabled: true, path: /tmp/blueteam-never-written.jsonl}\n  routes:\n    - match: {min_severity: critical}\n      channels: [file, emial]\n",
        ":5:17: alerting.routes[0].channels[1]: unknown channel 'emial'")]
    [InlineData("correlation:\n  rules:\n    ssh_brute_force:\n      threshold: 5\n      hours: \"08-18\"\n",
        ":5:14: correlation.rules.ssh_brute_force.hours")]
    [InlineData("correlation:\n  rules:\n    ssh_brute_forse: {threshold: 5}\n", ":3:22: correlation.rules.ssh_brute_forse: unknown rule")]
    [InlineData("collectors:\n  web:\n    type: nginx\n    paths: [/var/log/nginx/access.log]\n",
        ":3:11: collectors.web.type: unknown format 'nginx' (known: access, audit, auth, journald, json)")]
    public async Task ConfigCheck_ProblemFoundAfterLoading_RouteOrRuleOption_PointsAtFileLineAndColumn(string yaml, string expected)
    {
        var config = _dir.File("blueteam.yaml");
        await File.WriteAllTextAsync(config, yaml);
        var (exit, _, stderr) = await BlueTeamProcess.RunAsync(["--config", config, "config", "check"]);
        Assert.Equal(2, exit);
        Assert.Contains(config + expected, stderr);
    }

    [Fact]
    public async Task ConfigCheck_IssueExample_IsAccepted()
    {
        var config = _dir.File("blueteam.yaml");
        await File.WriteAllTextAsync(config, BlueTeam.Tests.Core.ConfigLoaderTests.IssueExample);
        var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["--config", config, "config", "check"]);
        Assert.True(exit == 0, stderr);
        Assert.Contains("configuration OK", stdout);
    }
}
