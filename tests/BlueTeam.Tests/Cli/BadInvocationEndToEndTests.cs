using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Cli;

/// <summary>
/// Forty wrong command lines, run as the built `blueteam` process: each exits with its documented code
/// (2 for usage and configuration, 1 for a file that is not there), says why in one line that starts
/// with "blueteam:", and never shows a stack trace or a .NET type name.
/// </summary>
public sealed class BadInvocationEndToEndTests : IClassFixture<BadInvocationEndToEndTests.Files>
{
    public sealed class Files : IDisposable
    {
        private readonly TempDir _dir = new();

        public Files()
        {
            Config = _dir.File("blueteam.yaml");
            File.WriteAllText(Config, $"host: bt-usage01\ndatabase: {{driver: sqlite, path: {_dir.File("state/blueteam.db")}}}\n");
            BrokenConfig = _dir.File("broken.yaml");
            File.WriteAllText(BrokenConfig, "host: bt-usage01\nmonitoring:\n  poll_interval_sec: soon\n");
            Log = _dir.File("auth.log");
            File.WriteAllText(Log, "Mar 10 08:30:00 web01 sshd[1]: Failed password for root from 203.0.113.7 port 4242 ssh2\n");
        }

        public string Config { get; }
        public string BrokenConfig { get; }
        public string Log { get; }

        public void Dispose() => _dir.Dispose();
    }

    private readonly Files _files;

    public BadInvocationEndToEndTests(Files files) => _files = files;

    public static TheoryData<string, int> Invocations => new()
    {
        { "", 2 },
        { "nosuch", 2 },
        { "--bogus", 2 },
        { "scan", 2 },
        { "scan --format yaml {log}", 2 },
        { "scan --emit nothing {log}", 2 },
        { "scan --year abc {log}", 2 },
        { "scan {dir}/missing.log", 1 },
        { "alerts", 2 },
        { "alerts list --limit 0", 2 },
        { "alerts list --limit -5", 2 },
        { "alerts list --limit abc", 2 },
        { "alerts list --format xml", 2 },
        { "alerts show", 2 },
        { "alerts show abc", 2 },
        { "alerts ack 1", 2 },
        { "alerts ack 1 --by", 2 },
        { "incidents list --since xyz", 2 },
        { "incidents list --limit 0", 2 },
        { "incidents list --severity bogus", 2 },
        { "incidents show abc", 2 },
        { "silence add", 2 },
        { "silence add --rule ssh_brute_force --duration abc --reason maintenance", 2 },
        { "silence add --rule ssh_brute_force --duration 2h", 2 },
        { "silence expire abc", 2 },
        { "status --bogus", 2 },
        { "status --max-age -1", 2 },
        { "status --format xml", 2 },
        { "verify --host", 2 },
        { "verify --anchors /nonexistent/heads.log", 2 },
        { "verify --key not-a-key", 2 },
        { "report --since 0", 2 },
        { "report --format pdf", 2 },
        { "rules test nosuch {log}", 2 },
        { "rules test", 2 },
        { "rules list --format xml", 2 },
        { "test-alert --severity urgent", 2 },
        { "routes test --severity x", 2 },
        { "routes test --severity high --label nolabel", 2 },
        { "db", 2 },
        { "db prune --days 0", 2 },
        { "db prune --days abc", 2 },
        { "db prune --host a --all-hosts --days 30", 2 },
        { "fleet", 2 },
        { "fleet add-host", 2 },
        { "fleet add-host Web01", 2 },
        { "fleet add-host web01", 2 }, // the config is SQLite: no roles there
        { "fleet roles --format xml", 2 },
        { "config", 2 },
        { "config check --config {broken}", 2 },
        { "monitor --bogus", 2 },
        { "demo --seconds abc", 2 },
    };

    [Theory]
    [MemberData(nameof(Invocations))]
    public async Task BadInvocation_ExitsWithItsCodeAndOneLineReason_NoExceptionOrTypeName(string commandLine, int expectedExit)
    {
        var dir = Path.GetDirectoryName(_files.Config)!;
        var args = commandLine.Replace("{log}", _files.Log, StringComparison.Ordinal)
            .Replace("{broken}", _files.BrokenConfig, StringComparison.Ordinal)
            .Replace("{dir}", dir, StringComparison.Ordinal)
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // The working config comes first so that no invocation touches the machine's own store; a later --config wins.
        var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["--config", _files.Config, .. args], timeout: TimeSpan.FromSeconds(30));

        var why = $"blueteam {commandLine}\nexit {exit}\nstdout:\n{stdout}\nstderr:\n{stderr}";
        Assert.True(expectedExit == exit, why);
        var firstLine = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        Assert.True(firstLine.StartsWith("blueteam:", StringComparison.Ordinal) && firstLine.Length > "blueteam: ".Length, why);
        Assert.DoesNotContain("Exception", stdout + stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", stdout + stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
    }
}
