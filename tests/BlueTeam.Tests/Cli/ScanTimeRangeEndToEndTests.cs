using System.Text.Json;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Cli;

/// <summary>`blueteam scan --since/--until`: events filtered on @timestamp before the rules see them.</summary>
public sealed class ScanTimeRangeEndToEndTests : IDisposable
{
    private static readonly DateTime Start = new(2026, 3, 10, 8, 0, 0);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Why((int ExitCode, string Stdout, string Stderr) r) => $"exit {r.ExitCode}\nstdout:\n{r.Stdout}\nstderr:\n{r.Stderr}";

    private static List<string> SourcesOf(string stdout) =>
        [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("source").GetProperty("ip").GetString()!)];

    private string Log()
    {
        // Three bursts an hour apart, and one that straddles 11:00.
        var path = _dir.File("auth.log");
        File.WriteAllLines(path, [
            .. AuthLogLines.FailedPasswords("203.0.113.1", 6, Start, TimeSpan.FromSeconds(5)),
            .. AuthLogLines.FailedPasswords("203.0.113.2", 6, Start.AddHours(1), TimeSpan.FromSeconds(5)),
            .. AuthLogLines.FailedPasswords("203.0.113.3", 6, Start.AddHours(2), TimeSpan.FromSeconds(5)),
            .. AuthLogLines.FailedPasswords("203.0.113.4", 6, Start.AddHours(3).AddSeconds(-15), TimeSpan.FromSeconds(5)),
        ]);
        return path;
    }

    [Theory]
    [InlineData(null, null, "203.0.113.1,203.0.113.2,203.0.113.3,203.0.113.4")]
    [InlineData("2026-03-10T08:30:00Z", null, "203.0.113.2,203.0.113.3,203.0.113.4")]
    [InlineData(null, "2026-03-10T10:00:00Z", "203.0.113.1,203.0.113.2")]
    [InlineData("2026-03-10T09:00:00Z", "2026-03-10T10:00:30Z", "203.0.113.2,203.0.113.3")]
    [InlineData("2026-03-10T09:00:21Z", "2026-03-10T10:00:00Z", "")] // only the last of 09:00's 6 failures inside: no burst
    [InlineData("2026-03-10T10:59:55Z", null, "")] // 4 of the straddling burst's 6 are inside: below the threshold of 5
    [InlineData("2026-03-10T10:59:50Z", null, "203.0.113.4")] // 5 of them: the threshold
    [InlineData("2026-03-10T10:59:45Z", null, "203.0.113.4")]
    [InlineData("2026-03-10T09:30:00+01:00", null, "203.0.113.2,203.0.113.3,203.0.113.4")] // 08:30Z
    public async Task Scan_SinceUntil_OnlyEventsInsideReachTheRules(string? since, string? until, string expected)
    {
        var log = Log();
        List<string> args = ["scan", "--format", "jsonl", "--year", "2026", log];
        if (since is not null) args.AddRange(["--since", since]);
        if (until is not null) args.AddRange(["--until", until]);

        var r = await BlueTeamProcess.RunAsync(args);

        Assert.True(r.ExitCode == 0, Why(r));
        Assert.Equal(expected, string.Join(',', SourcesOf(r.Stdout)));
        if (since is not null || until is not null) Assert.Contains("events outside", r.Stderr);
    }

    [Fact]
    public async Task Scan_SinceRelative_CountsBackFromNow()
    {
        // The RFC 3164 year comes from the file's modification time (now): no --year.
        var now = DateTime.Now;
        var path = _dir.File("recent.log");
        File.WriteAllLines(path, [
            .. AuthLogLines.FailedPasswords("198.51.100.1", 6, now.AddDays(-3), TimeSpan.FromSeconds(5)),
            .. AuthLogLines.FailedPasswords("198.51.100.2", 6, now.AddHours(-1), TimeSpan.FromSeconds(5)),
        ]);

        var day = await BlueTeamProcess.RunAsync(["scan", "--format", "jsonl", "--since", "1d", path]);
        var week = await BlueTeamProcess.RunAsync(["scan", "--format", "jsonl", "--since", "7d", "--until", "2d", path]);

        Assert.True(day.ExitCode == 0, Why(day));
        Assert.Equal(["198.51.100.2"], SourcesOf(day.Stdout));
        Assert.True(week.ExitCode == 0, Why(week));
        Assert.Equal(["198.51.100.1"], SourcesOf(week.Stdout));
    }

    [Fact]
    public async Task Scan_SinceEmitEvents_PrintsOnlyEventsInside()
    {
        var r = await BlueTeamProcess.RunAsync(["scan", "--emit", "events", "--format", "jsonl", "--year", "2026", "--since", "2026-03-10T10:00:00Z", "--until", "2026-03-10T10:59:00Z", Log()]);

        Assert.True(r.ExitCode == 0, Why(r));
        Assert.Equal(Enumerable.Repeat("203.0.113.3", 6), SourcesOf(r.Stdout));
        Assert.Contains("18 events outside", r.Stderr);
    }

    [Theory]
    [InlineData("--since", "yesterday", "--since")]
    [InlineData("--until", "soon", "--until")]
    public async Task Scan_BadTime_ExitsTwo(string option, string value, string expected)
    {
        var r = await BlueTeamProcess.RunAsync(["scan", option, value, Log()]);

        Assert.True(r.ExitCode == 2, Why(r));
        Assert.Contains(expected, r.Stderr);
    }

    [Fact]
    public async Task Scan_UntilNotAfterSince_ExitsTwo()
    {
        var r = await BlueTeamProcess.RunAsync(["scan", "--since", "2026-03-10T10:00:00Z", "--until", "2026-03-10T09:00:00Z", Log()]);

        Assert.True(r.ExitCode == 2, Why(r));
        Assert.Contains("is not after --since", r.Stderr);
    }
}
