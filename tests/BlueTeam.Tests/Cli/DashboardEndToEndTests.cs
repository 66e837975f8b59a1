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

    [Fact]
    public async Task Monitor_OnATerminal_DrawsLiveDashboardWithSourcesIncidentsAndDeliveries()
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
        var (exit, _) = Tmux("new-session", "-d", "-s", _session, "-x", "170", "-y", "50", "env", "BLUETEAM_CONFIG=", "BLUETEAM__MONITORING__ALLOW_ROOT=true", "TERM=xterm-256color", "sh", "-c", command);
        Assert.Equal(0, exit);

        await WaitForScreenAsync("Sources", TimeSpan.FromSeconds(30));
        await File.AppendAllLinesAsync(log, AuthLogLines.FailedPasswords("203.0.113.7", 6, new DateTime(2026, 3, 10, 8, 30, 0), TimeSpan.FromSeconds(5)));
        var screen = await WaitForScreenAsync("ssh_brute_force", TimeSpan.FromSeconds(15));
        Assert.Contains("dash-host", screen);
        Assert.Contains("auth_log", screen);
        Assert.Contains("Incidents (new this session)", screen);
        Assert.Contains("Deliveries", screen);
        Assert.Contains("Last incidents", screen);
        Assert.Contains("203.0.113.7", screen);

        Tmux("send-keys", "-t", _session, "C-c");
        var after = await WaitForScreenAsync("EXITED=", TimeSpan.FromSeconds(30));
        Assert.Contains("Monitor stopped.", after);
        Assert.Contains("EXITED=0", after);
    }
}
