using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Cli;

/// <summary>`blueteam routes test` run as a process against a config file it writes.</summary>
public sealed class RoutesEndToEndTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string WriteConfig(string yaml)
    {
        var path = _dir.File("blueteam.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public async Task RoutesTest_DefaultConfigHigh_PrintsSeedRouteWithEmailOff()
    {
        var config = WriteConfig($"database: {{ path: {_dir.File("bt.db")} }}\n");

        var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["routes", "test", "--config", config, "--severity", "high", "--rule", "ssh_brute_force"]);

        Assert.True(exit == 0, stderr);
        Assert.Contains("matched routes: severity high", stdout, StringComparison.Ordinal);
        Assert.Contains("channels: syslog", stdout, StringComparison.Ordinal);
        Assert.Contains("not sent to email: channel not enabled", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RoutesTest_ConfiguredRoutesAndLabel_PrintsMatchingRouteChannels()
    {
        var config = WriteConfig($$"""
            database: { path: {{_dir.File("bt.db")}} }
            alerting:
              file: { enabled: true, path: {{_dir.File("alerts.jsonl")}} }
              routes:
                - name: office-network
                  match: { labels: { source.ip: "10.*" } }
                  channels: [file]
                - name: brute
                  match: { rules: [ssh_brute_force] }
                  channels: [console, syslog]
            """);

        var office = await BlueTeamProcess.RunAsync(["routes", "test", "--config", config, "--severity", "high", "--rule", "ssh_brute_force", "--label", "source.ip=10.1.2.3"]);
        var outside = await BlueTeamProcess.RunAsync(["routes", "test", "--config", config, "--severity", "high", "--rule", "ssh_brute_force", "--label", "source.ip=203.0.113.7"]);

        Assert.True(office.ExitCode == 0, office.Stderr);
        Assert.Contains("matched routes: office-network", office.Stdout, StringComparison.Ordinal);
        Assert.Contains("channels: file", office.Stdout, StringComparison.Ordinal);
        Assert.Contains("matched routes: brute", outside.Stdout, StringComparison.Ordinal);
        Assert.Contains("channels: console, syslog", outside.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RoutesTest_UnknownLabel_ExitsNonZeroNamingIt()
    {
        var (exit, _, stderr) = await BlueTeamProcess.RunAsync(["routes", "test", "--severity", "high", "--label", "src=1.2.3.4"]);

        Assert.NotEqual(0, exit);
        Assert.Contains("--label 'src=1.2.3.4'", stderr, StringComparison.Ordinal);
    }
}
