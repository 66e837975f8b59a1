using System.Globalization;

namespace BlueTeam.Tests.Support;

/// <summary>Real-looking auth.log lines (RFC 3164 headers, as Debian's rsyslog writes them).</summary>
internal static class AuthLogLines
{
    public static string Header(DateTime t, string program, int pid) =>
        $"{t.ToString("MMM", CultureInfo.InvariantCulture)} {t.Day,2} {t:HH:mm:ss} eqmon-web01 {program}[{pid}]:";

    public static IEnumerable<string> FailedPasswords(string ip, int count, DateTime start, TimeSpan step, string user = "root") =>
        Enumerable.Range(0, count).Select(i =>
            $"{Header(start + step * i, "sshd", 3000 + i)} Failed password for {user} from {ip} port {41000 + i} ssh2");

    public static string Accepted(string ip, DateTime t, string user = "deploy") =>
        $"{Header(t, "sshd", 2990)} Accepted publickey for {user} from {ip} port 50122 ssh2: ED25519 SHA256:q0Zp1bWkq9r2QyKAXIvyc9cM0oRCa1uXx0qFZl1ZrIY";

    public static string Cron(DateTime t) =>
        $"{Header(t, "CRON", 4100)} pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)";
}
