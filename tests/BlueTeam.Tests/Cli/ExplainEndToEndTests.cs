using System.Text.Json;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Cli;

/// <summary>`blueteam explain` run as a process: lines as arguments, from a file and from standard input.</summary>
public sealed class ExplainEndToEndTests : IDisposable
{
    private static readonly DateTime Start = new(2026, 3, 10, 8, 30, 0);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Why((int ExitCode, string Stdout, string Stderr) r) => $"exit {r.ExitCode}\nstdout:\n{r.Stdout}\nstderr:\n{r.Stderr}";

    private static string[] Failures(int count, string ip = "203.0.113.7", string user = "root") =>
        [.. AuthLogLines.FailedPasswords(ip, count, Start, TimeSpan.FromSeconds(10), user)];

    private static List<string> Block(string stdout, int line) =>
        stdout.Split('\n').SkipWhile(l => !l.StartsWith($"line {line}: ", StringComparison.Ordinal)).Skip(1).TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal)).ToList();

    [Fact]
    public async Task Explain_LinesAsArguments_ShowsParseRuleStateAndWhatFired()
    {
        var r = await BlueTeamProcess.RunAsync(["explain", "--year", "2026", .. Failures(5), "not a log line at all"]);

        Assert.True(r.ExitCode == 0, Why(r));
        var third = Block(r.Stdout, 3);
        Assert.Contains(third, l => l.StartsWith("  parsed: ", StringComparison.Ordinal) && l.Contains("event.action=ssh_login") && l.Contains("source.ip=203.0.113.7") && l.Contains("user.name=root"));
        Assert.Contains("  rule ssh_brute_force 3/5 in 5m00s for source.network=203.0.113.7", third);
        Assert.DoesNotContain(third, l => l.StartsWith("  fired: ", StringComparison.Ordinal));
        var fifth = Block(r.Stdout, 5);
        Assert.Contains("  rule ssh_brute_force 5/5 in 5m00s for source.network=203.0.113.7: incident open", fifth);
        Assert.Contains("  rule password_spray 1/5 in 10m00s for source.network=203.0.113.7", fifth); // distinct_count: one user name so far
        Assert.Contains(fifth, l => l.StartsWith("  fired: HIGH ssh_brute_force opened (events=5) SSH brute force from 203.0.113.7", StringComparison.Ordinal));
        Assert.Contains(Block(r.Stdout, 6), l => l.StartsWith("  not parsed:", StringComparison.Ordinal));
        Assert.Contains("explained 6 line(s) as auth: 5 event(s), 1 incident update(s)", r.Stderr);
    }

    [Fact]
    public async Task Explain_HostileUserName_NoControlCharacterReachesTheTerminal()
    {
        // ESC sequences (colour, clear screen, OSC title), BEL, a bidi override and a backspace in the client's words.
        var user = "ev\u001b[31mil\u001b[2J\u001b]0;pwned\u0007\u202eoot\b";
        var r = await BlueTeamProcess.RunAsync(["explain", "--year", "2026", .. Failures(5, user: user)]);
        var json = await BlueTeamProcess.RunAsync(["explain", "--json", "--year", "2026", .. Failures(1, user: user)]);

        Assert.True(r.ExitCode == 0, Why(r));
        foreach (var output in new[] { r.Stdout, r.Stderr, json.Stdout, json.Stderr })
        {
            Assert.DoesNotContain(output, c => c is '\u001b' or '\u0007' or '\u202e' or '\b');
        }
        Assert.Contains("ev\\x1b[31mil\\x1b[2J\\x1b]0;pwned\\x07\\u202eoot\\x08", r.Stdout);
        var parsed = JsonDocument.Parse(json.Stdout.Trim()).RootElement;
        Assert.Equal(user, parsed.GetProperty("events")[0].GetProperty("event").GetProperty("user").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Explain_StandardInputAsJson_OneObjectPerLine_AndTheSameFingerprintAsScan()
    {
        var log = _dir.File("auth.log");
        await File.WriteAllLinesAsync(log, Failures(6));
        using var p = BlueTeamProcess.Start(["explain", "--json", "--year", "2026", "-"]);
        await p.WriteStandardInputAsync(await File.ReadAllTextAsync(log));
        var exit = await p.WaitForExitAsync(TimeSpan.FromSeconds(60));
        var scan = await BlueTeamProcess.RunAsync(["scan", "--format", "jsonl", "--year", "2026", log]);

        Assert.True(exit == 0, p.Stderr);
        var lines = p.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([1L, 2, 3, 4, 5, 6], lines.Select(l => l.GetProperty("line").GetInt64()));
        Assert.All(lines, l => Assert.Equal("auth", l.GetProperty("format").GetString()));
        var brute = lines[3].GetProperty("events")[0].GetProperty("rules").EnumerateArray().Single(r => r.GetProperty("rule").GetString() == "ssh_brute_force");
        Assert.Equal(4, brute.GetProperty("count").GetInt64());
        Assert.Equal(5, brute.GetProperty("threshold").GetInt64());
        Assert.Equal(300, brute.GetProperty("window_sec").GetInt64());
        Assert.False(brute.GetProperty("open").GetBoolean());
        var fired = lines[4].GetProperty("events")[0].GetProperty("fired").EnumerateArray().Single();
        Assert.True(fired.GetProperty("opened").GetBoolean());
        var updated = lines[5].GetProperty("events")[0].GetProperty("fired").EnumerateArray().Single();
        Assert.False(updated.GetProperty("opened").GetBoolean());
        Assert.Equal(6, updated.GetProperty("incident").GetProperty("event_count").GetInt32());
        // The same engine as scan: the same incident, the same fingerprint.
        Assert.True(scan.ExitCode == 0, Why(scan));
        var scanned = JsonDocument.Parse(scan.Stdout.Trim()).RootElement;
        Assert.Equal(scanned.GetProperty("fingerprint").GetString(), updated.GetProperty("incident").GetProperty("fingerprint").GetString());
    }

    [Fact]
    public async Task Explain_File_NamedFormat_ReadsIt()
    {
        var log = _dir.File("auth.log");
        await File.WriteAllLinesAsync(log, Failures(2));
        var r = await BlueTeamProcess.RunAsync(["explain", "--format", "auth", "--year", "2026", "--file", log]);

        Assert.True(r.ExitCode == 0, Why(r));
        Assert.Contains("  rule ssh_brute_force 2/5 in 5m00s for source.network=203.0.113.7", Block(r.Stdout, 2));
        Assert.Contains($"log.file.path={log}", r.Stdout);
    }

    [Theory]
    [InlineData(new[] { "explain" }, 2, "nothing to explain")]
    [InlineData(new[] { "explain", "--format", "yaml", "x" }, 2, "yaml")]
    [InlineData(new[] { "explain", "--file", "/nonexistent/auth.log", "a line" }, 2, "not both")]
    [InlineData(new[] { "explain", "--file", "/nonexistent/auth.log" }, 1, "file not found")]
    public async Task Explain_BadInvocation_ExitsWithOneLineReason(string[] args, int exit, string expected)
    {
        var r = await BlueTeamProcess.RunAsync(args);

        Assert.True(r.ExitCode == exit, Why(r));
        Assert.Contains(expected, r.Stderr);
        Assert.DoesNotContain("Exception", r.Stderr + r.Stdout);
    }
}
