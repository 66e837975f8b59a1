using System.Text.Json;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Cli;

/// <summary>`blueteam rules list|test` run as a process.</summary>
public class RulesEndToEndTests : IDisposable
{
    private readonly TempDir _dir = new();
    private static readonly DateTime Start = new(2026, 3, 10, 8, 30, 0);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task RulesList_Json_ListsEveryRuleWithEffectiveOptions()
    {
        var config = _dir.File("blueteam.yaml");
        File.WriteAllText(config, "correlation:\n  rules:\n    ssh_brute_force:\n      threshold: 7\n");
        var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["rules", "list", "--format", "json", "--config", config]);
        Assert.True(exit == 0, stderr);
        var rules = JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(22, rules.Count); // 21 before ssh_low_and_slow (issue 14)
        var brute = Assert.Single(rules, r => r.GetProperty("name").GetString() == "ssh_brute_force");
        Assert.Equal("7", brute.GetProperty("options").GetProperty("threshold").GetString());
        Assert.Equal("high", brute.GetProperty("severity").GetString());
    }

    [Fact]
    public async Task RulesList_UnknownRuleInConfig_ExitsTwoNamingTheKey()
    {
        var config = _dir.File("blueteam.yaml");
        File.WriteAllText(config, "correlation:\n  rules:\n    ssh_bruteforce:\n      threshold: 7\n");
        var (exit, _, stderr) = await BlueTeamProcess.RunAsync(["rules", "list", "--config", config]);
        Assert.Equal(2, exit);
        Assert.Contains("correlation.rules.ssh_bruteforce", stderr);
    }

    [Fact]
    public async Task RulesTest_FiveFailures_ShowsMatchesAndWhenItFired()
    {
        var log = _dir.File("auth.log");
        File.WriteAllLines(log, [AuthLogLines.Cron(Start), .. AuthLogLines.FailedPasswords("203.0.113.7", 6, Start.AddSeconds(5), TimeSpan.FromSeconds(10))]);
        var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["rules", "test", "ssh_brute_force", log, "--year", "2026"]);
        Assert.True(exit == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, lines.Count(l => l.Contains(": match ", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.StartsWith("line 6: FIRED high \"SSH brute force from 203.0.113.7\" events=5", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("line 7: updated", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("line 1:", StringComparison.Ordinal)); // the cron line is not in the filter
        Assert.Contains("7 lines, 6 matched the filter, 1 incidents", stdout);
    }
}
