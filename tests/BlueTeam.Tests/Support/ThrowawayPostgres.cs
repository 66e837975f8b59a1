using System.Diagnostics;

namespace BlueTeam.Tests.Support;

/// <summary>
/// A PostgreSQL cluster of the test's own (scripts/start-postgres.sh on a free loopback port),
/// which the test may stop and start again: never the shared one that scripts/test.sh starts.
/// </summary>
internal sealed class ThrowawayPostgres : IDisposable
{
    private readonly string _dir;

    public ThrowawayPostgres(string dir, int? port = null)
    {
        _dir = dir;
        Port = port ?? SmtpServerFixture.FreeLoopbackPort();
        ConnectionString = Run("start-postgres.sh", _dir, Port.ToString(System.Globalization.CultureInfo.InvariantCulture)).Trim().Split('\n')[^1];
    }

    public int Port { get; }
    public string ConnectionString { get; }

    public void Stop() => Run("stop-postgres.sh", _dir);

    public void Start() => Run("start-postgres.sh", _dir, Port.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public void Dispose()
    {
        try { Stop(); }
        catch (InvalidOperationException) { /* already gone: nothing to stop */ }
    }

    private static string Run(string script, params string[] args)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(RepoRoot(), "scripts", script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not run {script}");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{script} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr.Result}");
        return stdout;
    }

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "scripts", "start-postgres.sh"))) return d.FullName;
        throw new InvalidOperationException("scripts/start-postgres.sh not found above " + AppContext.BaseDirectory);
    }
}
