using BlueTeam.Core.Config;
using BlueTeam.Parsing;
using BlueTeam.Sources;

namespace BlueTeam.Tests.Parsing;

/// <summary>Builds raw auth-log lines and a fixed parse context, as a file tailer would hand them over.</summary>
public static class AuthLines
{
    /// <summary>UTC, year 2026, "now" mid-March: every test timestamp is deterministic.</summary>
    public static ParseContext Context { get; } = new()
    {
        TimeZone = TimeZoneInfo.Utc,
        Now = new DateTimeOffset(2026, 3, 15, 12, 0, 0, TimeSpan.Zero),
        DefaultHost = "eqmon-web01",
    };

    public static RawLine Line(string text, long offset = 0, string path = "/var/log/auth.log", string collector = "auth_log") => new()
    {
        Collector = collector,
        Type = "auth",
        Path = path,
        Text = text,
        Offset = offset,
        EndOffset = offset + text.Length + 1,
    };

    /// <summary>An RFC 3164 line at 2026-03-10 <paramref name="time"/> from eqmon-web01's sshd.</summary>
    public static string Sshd(TimeSpan time, string message, int pid = 3021) =>
        $"Mar 10 {time:hh\\:mm\\:ss} eqmon-web01 sshd[{pid}]: {message}";

    public static string FailedPassword(TimeSpan time, string ip, string user = "root", int port = 41000) =>
        Sshd(time, $"Failed password for {user} from {ip} port {port} ssh2");
}
