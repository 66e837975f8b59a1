using System.Diagnostics;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Cli;

/// <summary>`scan` reads logs as they are kept: compressed by logrotate, piped, a folder or a glob.</summary>
public sealed class ScanInputsEndToEndTests : IDisposable
{
    private readonly TempDir _dir = new();

    public ScanInputsEndToEndTests() =>
        File.WriteAllLines(_dir.File("auth.log"), AuthLogLines.FailedPasswords("203.0.113.7", 6, new DateTime(2026, 3, 10, 8, 30, 0), TimeSpan.FromSeconds(5)));

    public void Dispose() => _dir.Dispose();

    private void Compress(string tool, string suffix)
    {
        var psi = new ProcessStartInfo(tool) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in new[] { "-q", "-k", "-f", _dir.File("auth.log") }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, p.StandardError.ReadToEnd());
        Assert.True(File.Exists(_dir.File("auth.log" + suffix)));
    }

    [Theory]
    [InlineData("gzip", ".gz")]
    [InlineData("bzip2", ".bz2")]
    [InlineData("xz", ".xz")]
    [InlineData("zstd", ".zst")]
    public async Task Scan_CompressedFile_FindsTheBruteForce(string tool, string suffix)
    {
        Compress(tool, suffix);
        var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["scan", "--year", "2026", _dir.File("auth.log" + suffix)]);
        Assert.True(exit == 0, stderr);
        Assert.Contains("ssh_brute_force", stdout, StringComparison.Ordinal);
        Assert.Contains("scanned 6 lines", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scan_StandardInput_FindsTheBruteForce()
    {
        using var p = BlueTeamProcess.Start(["scan", "--year", "2026", "-"]);
        await p.WriteStandardInputAsync(await File.ReadAllTextAsync(_dir.File("auth.log")));
        Assert.Equal(0, await p.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("ssh_brute_force", p.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scan_FolderAndGlob_ReadEveryFile()
    {
        Compress("gzip", ".gz");
        var (exit, _, stderr) = await BlueTeamProcess.RunAsync(["scan", "--year", "2026", _dir.Path]);
        Assert.True(exit == 0, stderr);
        Assert.Contains("scanned 12 lines", stderr, StringComparison.Ordinal); // auth.log and auth.log.gz
        (exit, _, stderr) = await BlueTeamProcess.RunAsync(["scan", "--year", "2026", Path.Combine(_dir.Path, "*.gz")]);
        Assert.True(exit == 0, stderr);
        Assert.Contains("scanned 6 lines", stderr, StringComparison.Ordinal);
    }
}
