using System.Diagnostics;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Cli;

/// <summary>
/// The live dashboard in a real terminal: the built daemon runs inside tmux, and what a person
/// would see is read back with capture-pane.
/// </summary>
public class DashboardEndToEndTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _session = "bt-" + Guid.NewGuid().ToString("N")[..8];

    public void Dispose()
    {
        Tmux("kill-session", "-t", _session);
        _dir.Dispose();
    }

    private static (int Exit, string Output) Tmux(params string[] args)
    {
        var psi = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process p;
        try
        {
            p = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("tmux is not installed: run the README's test command (scripts/test.sh), which installs it", e);
        }
        using (p)
        {
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, output);
        }
    }

    private async Task<string> WaitForScreenAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var screen = "";
        while (DateTime.UtcNow < deadline)
        {
            screen = Tmux("capture-pane", "-p", "-t", _session).Output;
            if (screen.Contains(text, StringComparison.Ordinal)) return screen;
            await Task.Delay(200);
        }
        throw new TimeoutException($"'{text}' not on screen within {timeout}:\n{screen}");
    }

    /// <summary>Starts the daemon in a tmux session of the given size, with an auth log it watches; returns the log's path.</summary>
    private async Task<string> StartAsync(int width, int height)
    {
        var log = _dir.File("auth.log");
        var config = _dir.File("blueteam.yaml");
        await File.WriteAllTextAsync(log, "");
        await File.WriteAllTextAsync(config, $$"""
            host: dash-host
            database: {driver: sqlite, path: {{_dir.File("bt.db")}}}
            monitoring: {poll_interval_sec: 1}
            collectors:
              auth_log: {type: auth, paths: [{{log}}]}
            alerting:
              console: {enabled: true}
              syslog: {enabled: false}
            """);
        // The shell survives the Ctrl+C (a handler, not an ignore, so the daemon still receives SIGINT) to report the exit code.
        var command = $"trap true INT; '{BlueTeamProcess.ExecutablePath}' --config '{config}' monitor; echo EXITED=$?; sleep 60";
        var (exit, _) = Tmux("new-session", "-d", "-s", _session, "-x", width.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-y", height.ToString(System.Globalization.CultureInfo.InvariantCulture), "env", "BLUETEAM_CONFIG=", "BLUETEAM__MONITORING__ALLOW_ROOT=true", "TERM=xterm-256color", "sh", "-c", command);
        Assert.Equal(0, exit);
        await WaitForScreenAsync("Sources", TimeSpan.FromSeconds(30));
        return log;
    }

    [Fact]
    public async Task Monitor_OnATerminal_DrawsLiveDashboardWithSourcesIncidentsAndDeliveries()
    {
        var log = await StartAsync(170, 50);
        await File.AppendAllLinesAsync(log, AuthLogLines.FailedPasswords("203.0.113.7", 6, new DateTime(2026, 3, 10, 8, 30, 0), TimeSpan.FromSeconds(5)));
        var screen = await WaitForScreenAsync("ssh_brute_force", TimeSpan.FromSeconds(15));
        Assert.Contains("dash-host", screen);
        Assert.Contains("auth_log", screen);
        Assert.Contains("incidents this session: critical 0 high 1", screen);
        Assert.Contains("deliveries: console", screen); // high goes to email and syslog (off here), not the console
        Assert.Contains("Last incidents", screen);
        Assert.Contains("203.0.113.7", screen);
        Assert.Contains("SSH brute force from 203.0.113.7", screen); // wide enough for the title column

        Tmux("send-keys", "-t", _session, "C-c");
        var after = await WaitForScreenAsync("EXITED=", TimeSpan.FromSeconds(30));
        Assert.Contains("Monitor stopped.", after);
        Assert.Contains("EXITED=0", after);
    }

    [Fact]
    public async Task Monitor_At80x24_FitsTheScreenAndFollowsAResize()
    {
        var log = await StartAsync(80, 24);
        // Many incidents and log lines: more than 24 lines could hold.
        for (var i = 0; i < 12; i++)
            await File.AppendAllLinesAsync(log, AuthLogLines.FailedPasswords($"203.0.113.{i + 1}", 6, new DateTime(2026, 3, 10, 8, 30, 0), TimeSpan.FromSeconds(5)));
        // Twelve brute forces, and account_brute_force for root attacked from all twelve addresses.
        var screen = await WaitForScreenAsync("high 13", TimeSpan.FromSeconds(20));
        var lines = screen.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList();
        Assert.True(lines.Count <= 24, screen);
        Assert.StartsWith("blueteam · dash-host", lines.First(l => l.StartsWith("blueteam ·", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains("Ctrl+C stops", lines[^1], StringComparison.Ordinal); // the footer, so nothing scrolled the header away
        Assert.All(lines, l => Assert.True(l.Length <= 80, l));
        Assert.Contains("203.0.113.12", screen, StringComparison.Ordinal);

        Tmux("resize-window", "-t", _session, "-x", "132", "-y", "40");
        var wide = await WaitForScreenAsync("title", TimeSpan.FromSeconds(10)); // the title column appears at 100 columns and more
        Assert.Contains("SSH brute force from 203.0.113.", wide, StringComparison.Ordinal);
    }
}
