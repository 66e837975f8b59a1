using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace BlueTeam.Tests.Support;

/// <summary>
/// Runs the built `blueteam` executable as a real process (the one the test project's build
/// copied beside the tests), with its output captured, and sends it real signals.
/// </summary>
internal sealed partial class BlueTeamProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private BlueTeamProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_stdout) _stdout.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static string ExecutablePath
    {
        get
        {
            var apphost = Path.Combine(AppContext.BaseDirectory, "blueteam");
            if (!File.Exists(apphost)) throw new FileNotFoundException($"the built blueteam executable is not beside the tests: {apphost}");
            return apphost;
        }
    }

    public static BlueTeamProcess Start(IEnumerable<string> args, IDictionary<string, string>? env = null, string? workingDirectory = null)
    {
        // Through env(1) with the signals the tests send put back to their default: a suite started under nohup or as a
        // background job hands its children SIGHUP and SIGINT ignored, and an ignored signal stays ignored in the
        // daemon (the runtime keeps an inherited SIG_IGN), so the SIGHUP and SIGINT tests would wait for nothing.
        // env execs the daemon: the process id is the daemon's.
        var psi = new ProcessStartInfo("/usr/bin/env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        psi.ArgumentList.Add("--default-signal=HUP,INT,QUIT,TERM");
        psi.ArgumentList.Add(ExecutablePath);
        foreach (var a in args) psi.ArgumentList.Add(a);
        // Tests must not pick up the machine's own config.
        psi.Environment["BLUETEAM_CONFIG"] = "";
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("BLUETEAM__", StringComparison.Ordinal)).ToList()) psi.Environment.Remove(key);
        // CI runs as root; the daemon refuses that unless told (RootGuard). A test of the refusal overrides this.
        psi.Environment["BLUETEAM__MONITORING__ALLOW_ROOT"] = "true";
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        return new BlueTeamProcess(Process.Start(psi) ?? throw new InvalidOperationException("could not start blueteam"));
    }

    /// <summary>Runs to completion (or fails the test after <paramref name="timeout"/>).</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(IEnumerable<string> args, IDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        using var p = Start(args, env);
        var exit = await p.WaitForExitAsync(timeout ?? TimeSpan.FromSeconds(60));
        return (exit, p.Stdout, p.Stderr);
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Writes <paramref name="text"/> to the process's standard input and closes it (end of input).</summary>
    public async Task WriteStandardInputAsync(string text)
    {
        await _process.StandardInput.WriteAsync(text);
        _process.StandardInput.Close();
    }

    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"blueteam did not exit within {timeout}.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }
        _process.WaitForExit(); // flush the asynchronous output readers
        return _process.ExitCode;
    }

    /// <summary>Waits until <paramref name="text"/> appears on stdout or stderr.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Stdout.Contains(text, StringComparison.Ordinal) || Stderr.Contains(text, StringComparison.Ordinal)) return;
            if (_process.HasExited) break;
            await Task.Delay(50);
        }
        throw new TimeoutException($"'{text}' did not appear within {timeout}.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
    }

    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0) throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public const int SIGTERM = 15;
    public const int SIGKILL = 9;
    public const int SIGINT = 2;
    public const int SIGHUP = 1;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int sig);

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
