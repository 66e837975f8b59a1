using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace BlueTeam.Tests.Support;

/// <summary>
/// Writes real systemd journal files for tests, with Debian's systemd-journal-remote (it turns the
/// journal export format into a journal file that journalctl reads like the system journal).
/// </summary>
internal static class JournalFiles
{
    private const string JournalRemote = "/lib/systemd/systemd-journal-remote";

    /// <summary>One syslog-transport entry, as journald would store an sshd or sudo message.</summary>
    /// <remarks>journald adds the sender's <c>_COMM</c>, <c>_EXE</c> and <c>_UID</c>; <paramref name="Comm"/> and <paramref name="Uid"/> default to the identifier's daemon running as root.</remarks>
    public sealed record Entry(DateTimeOffset Time, string Identifier, int Pid, string Message, string Host = "jhost", int Facility = 10, string? Comm = null, int Uid = 0);

    /// <summary>Appends <paramref name="entries"/> to DIR/remote.journal (created when missing).</summary>
    public static void Append(string directory, IEnumerable<Entry> entries)
    {
        if (!File.Exists(JournalRemote))
            throw new InvalidOperationException($"{JournalRemote} is missing: run the README's test command (scripts/test.sh), which installs Debian's systemd-journal-remote");
        var export = new StringBuilder();
        var monotonic = 1000;
        foreach (var e in entries)
        {
            var micros = e.Time.ToUnixTimeMilliseconds() * 1000;
            export.Append(CultureInfo.InvariantCulture, $"__REALTIME_TIMESTAMP={micros}\n__MONOTONIC_TIMESTAMP={monotonic++}\n_BOOT_ID=0123456789abcdef0123456789abcdef\n");
            export.Append(CultureInfo.InvariantCulture, $"_HOSTNAME={e.Host}\nSYSLOG_IDENTIFIER={e.Identifier}\n_PID={e.Pid}\n_TRANSPORT=syslog\nSYSLOG_FACILITY={e.Facility}\nPRIORITY=5\n");
            var comm = e.Comm ?? e.Identifier;
            export.Append(CultureInfo.InvariantCulture, $"_COMM={comm}\n_EXE=/usr/sbin/{comm}\n_UID={e.Uid}\n");
            export.Append(CultureInfo.InvariantCulture, $"MESSAGE={e.Message}\n\n");
        }
        Directory.CreateDirectory(directory);
        var input = Path.Combine(directory, $"in-{Guid.NewGuid():N}.export");
        File.WriteAllText(input, export.ToString());
        try
        {
            var psi = new ProcessStartInfo(JournalRemote) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            psi.ArgumentList.Add("-o");
            psi.ArgumentList.Add(Path.Combine(directory, "remote.journal"));
            psi.ArgumentList.Add(input);
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"systemd-journal-remote failed ({p.ExitCode}): {err}");
        }
        finally
        {
            File.Delete(input);
        }
    }
}
