using System.Text.Json;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Cli;

/// <summary>
/// `blueteam silence add` run as a process: what it refuses (so a silence cannot be accepted and then match
/// nothing), and that what it accepts holds back exactly the incidents it names when `scan --store` raises them.
/// </summary>
public sealed class SilenceEndToEndTests : IDisposable
{
    private static readonly DateTime Start = new(2026, 3, 10, 8, 30, 0);
    private readonly TempDir _dir = new();

    public SilenceEndToEndTests() =>
        File.WriteAllText(ConfigPath, $"host: bt-e2e-web01\ndatabase: {{driver: sqlite, path: {_dir.File("state/blueteam.db")}}}\n"
            + "correlation: {rules: {off_hours_login: {enabled: false}}}\n");

    public void Dispose() => _dir.Dispose();

    private string ConfigPath => _dir.File("blueteam.yaml");

    private Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args) => BlueTeamProcess.RunAsync(["--config", ConfigPath, .. args]);

    private static string Why((int ExitCode, string Stdout, string Stderr) r) => $"exit {r.ExitCode}\nstdout:\n{r.Stdout}\nstderr:\n{r.Stderr}";

    [Theory]
    [InlineData("--rule ssh_brute_forse", "no rule 'ssh_brute_forse' for rule; did you mean 'ssh_brute_force'?")]
    [InlineData("--match rule.id=BT-AUTH-0001", "did you mean 'BT-AUTH-001'?")]
    [InlineData("--match source.ip=203.0.113.7/24", "did you mean '203.0.113.0/24'?")]
    [InlineData("--match source.ip=203.0.113.*", "for a pattern use source.ip=~REGEX")]
    [InlineData("--match src.ip=203.0.113.7", "'src.ip' is not an incident label; did you mean 'source.ip'?")]
    [InlineData("--match usr.name=root", "did you mean 'user.name'?")]
    [InlineData("--match severity=hihg", "did you mean 'high'?")]
    [InlineData("--match rule=~ssh_brute_forse.*", "matches no rule")]
    [InlineData("--match user.name=~(a", "not valid")]
    [InlineData("--match user.name=~(a)\\1", "not valid")]
    [InlineData("--match user.name!=alice", "would silence almost every incident")]
    [InlineData("--match host=~.*", "would silence almost every incident")]
    [InlineData("--match source.ip", "label=value")]
    [InlineData("--rule ssh_brute_force --match rule=sudo_not_allowed", "can never both hold")]
    [InlineData("--match host=a --match host=b", "can never both hold")]
    [InlineData("--rule off_hours_login", "rule 'off_hours_login' is disabled in the config")]
    public async Task SilenceAdd_WouldMissOrMuteEverything_ExitsTwoWithAHint_StoresNothing(string matcher, string expected)
    {
        var r = await RunAsync(["silence", "add", .. matcher.Split(' '), "--duration", "2h", "--reason", "test"]);
        var list = await RunAsync("silence", "list", "--all", "--format", "json");

        Assert.True(r.ExitCode == 2, Why(r));
        Assert.Contains(expected, r.Stderr);
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("Exception", r.Stderr);
        Assert.Empty(JsonDocument.Parse(list.Stdout.Length == 0 ? "[]" : list.Stdout).RootElement.EnumerateArray());
    }

    [Theory]
    [InlineData("--start", "tomorrow", "--duration", "2h", "--start")]
    [InlineData("--end", "2020-01-01T00:00:00Z", null, null, "has passed")]
    [InlineData("--start", "+3h", "--end", "+1h", "before it starts")]
    [InlineData("--duration", "2h", "--end", "+3h", "either --duration")]
    public async Task SilenceAdd_BadWindow_ExitsTwo(string o1, string v1, string? o2, string? v2, string expected)
    {
        string[] window = o2 is null ? [o1, v1] : [o1, v1, o2, v2!];
        var r = await RunAsync(["silence", "add", "--rule", "ssh_brute_force", .. window, "--reason", "test"]);

        Assert.True(r.ExitCode == 2, Why(r));
        Assert.Contains(expected, r.Stderr);
    }

    [Fact]
    public async Task SilenceAdd_RuleByNameAndById_IsOneRule_Accepted()
    {
        var r = await RunAsync("silence", "add", "rule=ssh_brute_force", "rule=BT-AUTH-001", "--duration", "1h", "--reason", "same rule twice");

        Assert.True(r.ExitCode == 0, Why(r));
    }

    [Fact]
    public async Task SilenceAdd_StartLater_IsPendingUntilItsWindow()
    {
        var add = await RunAsync("silence", "add", "rule=ssh_brute_force", "host=bt-e2e-web01", "--start", "+1h", "--duration", "2h", "--reason", "kernel upgrade");
        var active = await RunAsync("silence", "list", "--format", "json");
        var all = await RunAsync("silence", "list", "--all", "--format", "json");

        Assert.True(add.ExitCode == 0, Why(add));
        Assert.Contains("rule=ssh_brute_force, host=bt-e2e-web01 from ", add.Stdout);
        Assert.Empty(JsonDocument.Parse(active.Stdout).RootElement.EnumerateArray());
        var silence = Assert.Single(JsonDocument.Parse(all.Stdout).RootElement.EnumerateArray().ToList());
        Assert.Equal("pending", silence.GetProperty("state").GetString());
        var starts = silence.GetProperty("starts_at").GetDateTimeOffset();
        Assert.InRange(starts - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(55), TimeSpan.FromMinutes(61));
        Assert.Equal(TimeSpan.FromHours(2), silence.GetProperty("ends_at").GetDateTimeOffset() - starts);
    }

    [Theory]
    [InlineData("source.ip=203.0.113.0/24")]
    [InlineData("source.ip=2001:db8::/32")]
    [InlineData("source.ip=~203\\.0\\.113\\..*|2001:db8:.*")]
    [InlineData("source.ip!=198.51.100.0/24")]
    [InlineData("source.ip!~198\\.51\\..*")]
    public async Task ScanStore_SilencedSubnet_MarksOnlyItsIncidents(string matcher)
    {
        var log = _dir.File("auth.log");
        File.WriteAllLines(log, [
            .. AuthLogLines.FailedPasswords("203.0.113.7", 12, Start, TimeSpan.FromSeconds(5)),
            .. AuthLogLines.FailedPasswords("2001:db8::7", 12, Start.AddMinutes(5), TimeSpan.FromSeconds(5)),
            .. AuthLogLines.FailedPasswords("198.51.100.9", 12, Start.AddMinutes(10), TimeSpan.FromSeconds(5)),
        ]);
        // Both address families are covered by the first two matchers only together; each run below
        // uses one, plus a second silence for the other family so the test states one expectation.
        var add = await RunAsync("silence", "add", "--rule", "ssh_brute_force", "--match", matcher, "--duration", "1h", "--reason", "pen test");
        var other = matcher.Contains("2001:db8::/32", StringComparison.Ordinal) ? "source.ip=203.0.113.0/24" : "source.ip=2001:db8::/32";
        var addOther = await RunAsync("silence", "add", "rule=ssh_brute_force", other, "--duration", "1h", "--reason", "pen test");
        var scan = await RunAsync("scan", "--store", "--year", "2026", log);
        var listed = await RunAsync("incidents", "list", "--format", "json");

        Assert.True(add.ExitCode == 0, Why(add));
        Assert.True(addOther.ExitCode == 0, Why(addOther));
        Assert.True(scan.ExitCode == 0, Why(scan));
        Assert.Contains("(2 silenced)", scan.Stderr);
        var triage = JsonDocument.Parse(listed.Stdout).RootElement.EnumerateArray()
            .ToDictionary(e => e.GetProperty("source_ip").GetString()!, e => e.GetProperty("triage").GetString());
        Assert.Equal("silenced", triage["203.0.113.7"]);
        Assert.Equal("silenced", triage["2001:db8::7"]);
        Assert.Equal("open", triage["198.51.100.9"]);
    }
}
