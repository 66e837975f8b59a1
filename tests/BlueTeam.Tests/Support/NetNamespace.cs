using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace BlueTeam.Tests.Support;

/// <summary>
/// A throwaway network namespace (`ip netns add`), so tests run the real nft against a ruleset of
/// their own and never touch the host's. Named (not an anonymous `unshare -n`) so that the daemon,
/// the CLI and the test's own nft calls, all separate processes, enter the same one.
/// </summary>
internal sealed class NetNamespace : IDisposable
{
    private static int _counter;

    private NetNamespace(string name) => Name = name;

    public string Name { get; }

    /// <summary>Creates the namespace, or fails the test saying why (these tests need root, iproute2 and nftables).</summary>
    public static NetNamespace Create()
    {
        var name = $"bt-test-{Environment.ProcessId}-{Interlocked.Increment(ref _counter)}";
        var (exit, _, stderr) = Run("ip", ["netns", "add", name]);
        if (exit != 0)
            throw new InvalidOperationException($"cannot create network namespace {name} (needs root and iproute2): {stderr.Trim()}");
        var ns = new NetNamespace(name);
        var (nftExit, _, nftErr) = ns.Exec(["nft", "list", "ruleset"]);
        if (nftExit != 0)
        {
            ns.Dispose();
            throw new InvalidOperationException($"nft does not run in namespace {name} (apt-get install nftables): {nftErr.Trim()}");
        }
        return ns;
    }

    public (int ExitCode, string Stdout, string Stderr) Exec(IReadOnlyList<string> command) => Run("ip", ["netns", "exec", Name, .. command]);

    /// <summary>The elements of a set of table inet blueteam: value (address or prefix) → (timeout, expires) in seconds; empty when the table does not exist.</summary>
    public Dictionary<string, (long Timeout, long Expires)> SetElements(string set)
    {
        var (exit, stdout, _) = Exec(["nft", "-j", "list", "set", "inet", "blueteam", set]);
        var result = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        if (exit != 0) return result;
        foreach (var item in JsonDocument.Parse(stdout).RootElement.GetProperty("nftables").EnumerateArray())
        {
            if (!item.TryGetProperty("set", out var s) || !s.TryGetProperty("elem", out var elems)) continue;
            foreach (var e in elems.EnumerateArray())
            {
                var elem = e.GetProperty("elem");
                var val = elem.GetProperty("val");
                var key = val.ValueKind == JsonValueKind.String
                    ? val.GetString()!
                    : $"{val.GetProperty("prefix").GetProperty("addr").GetString()}/{val.GetProperty("prefix").GetProperty("len").GetInt32()}";
                result[key] = (elem.GetProperty("timeout").GetInt64(), elem.TryGetProperty("expires", out var x) ? x.GetInt64() : 0);
            }
        }
        return result;
    }

    /// <summary>Starts blueteam inside the namespace (`ip netns exec` execs it, so the pid is blueteam's and signals reach it).</summary>
    public NamespacedProcess StartBlueTeam(IEnumerable<string> args) => new(this, args, asUser: null);

    /// <summary>Starts blueteam inside the namespace as an unprivileged user (setpriv), so nft is refused: no CAP_NET_ADMIN.</summary>
    public NamespacedProcess StartBlueTeamUnprivileged(IEnumerable<string> args) => new(this, args, asUser: 65534);

    public async Task<(int ExitCode, string Stdout, string Stderr)> RunBlueTeamAsync(IEnumerable<string> args)
    {
        using var p = StartBlueTeam(args);
        var exit = await p.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (exit, p.Stdout, p.Stderr);
    }

    private static (int, string, string) Run(string file, IReadOnlyList<string> args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"{file} did not start");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr);
    }

    public void Dispose() => Run("ip", ["netns", "del", Name]);
}

/// <summary>blueteam running in a <see cref="NetNamespace"/>, output captured.</summary>
internal sealed class NamespacedProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();

    public NamespacedProcess(NetNamespace ns, IEnumerable<string> args, int? asUser)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Path.GetTempPath() };
        foreach (var a in new[] { "netns", "exec", ns.Name }) psi.ArgumentList.Add(a);
        if (asUser is { } uid)
        {
            var id = uid.ToString(System.Globalization.CultureInfo.InvariantCulture);
            foreach (var a in new[] { "setpriv", $"--reuid={id}", $"--regid={id}", "--clear-groups", "--inh-caps=-all" }) psi.ArgumentList.Add(a);
        }
        psi.ArgumentList.Add(BlueTeamProcess.ExecutablePath);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["BLUETEAM_CONFIG"] = "";
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("BLUETEAM__", StringComparison.Ordinal)).ToList()) psi.Environment.Remove(key);
        psi.Environment["BLUETEAM__MONITORING__ALLOW_ROOT"] = "true";
        _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start blueteam");
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_err) _err.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Stdout { get { lock (_out) return _out.ToString(); } }
    public string Stderr { get { lock (_err) return _err.ToString(); } }

    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Stdout.Contains(text, StringComparison.Ordinal) || Stderr.Contains(text, StringComparison.Ordinal)) return;
            if (_process.HasExited) break;
            await Task.Delay(25);
        }
        throw new TimeoutException($"'{text}' did not appear within {timeout}.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
    }

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
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public async Task StopAsync()
    {
        var (exit, _, err) = NativeKill(_process.Id);
        if (exit != 0) throw new InvalidOperationException($"kill -TERM {_process.Id} failed: {err}");
        Assert.Equal(0, await WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    private static (int, string, string) NativeKill(int pid)
    {
        var psi = new ProcessStartInfo("kill") { RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-TERM");
        psi.ArgumentList.Add(pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, "", err);
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
