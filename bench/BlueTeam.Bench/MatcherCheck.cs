using BlueTeam.Parsing.Auth;

namespace BlueTeam.Bench;

/// <summary>
/// `verify [FILE...]`: the hand-written "Invalid user" matcher against the regex it replaces, on tricky
/// messages and on every sshd message of the given files. Any difference is printed and fails.
/// </summary>
internal static class MatcherCheck
{
    private static readonly string[] Tricky =
    [
        "Failed password for root from 203.0.113.7 port 22 ssh2",
        "Failed password for invalid user admin from 203.0.113.7 port 22 ssh2",
        "Failed password for invalid user from 203.0.113.7 port 22 ssh2",
        "Failed password for invalid user  from 203.0.113.7 port 22 ssh2",
        "Failed password for  from 203.0.113.7 port 22 ssh2",
        "Failed password for x from 1.2.3.4 port 22 from 5.6.7.8 port 23 ssh2",
        "Failed password for x from 1.2.3.4 port 22 ssh2 from 5.6.7.8 port 99999",
        "Failed password for x from 1.2.3.4 port 123456 ssh2",
        "Failed password for x from 1.2.3.4 port 22 ssh3",
        "Failed password for x from 1.2.3.4 port 22 ssh2 ",
        "Failed password for x from 1.2.3.4 port 22: ",
        "Failed password for x from 1.2.3.4 port 22 ssh2: RSA SHA256:abc from 9.9.9.9 port 1",
        "Failed password for x from from 1.2.3.4 port 22",
        "Failed password for x  from  1.2.3.4 port 22",
        "Failed password for x from 1.2.3.4  port 22",
        "Failed password for x from 1.2.3.4 port ",
        "Failed password for x from 1.2.3.4",
        "Failed  password for x from 1.2.3.4 port 22",
        "Failed password x from 1.2.3.4 port 22",
        "Failed publickey for alice from 203.0.113.7 port 22 ssh2: RSA SHA256:abc",
        "Failed keyboard-interactive/pam for invalid user invalid user bob from ::1 port 2 ssh2",
        "Accepted publickey for deploy from 198.51.100.20 port 50122 ssh2: ED25519 SHA256:q0Zp",
        "Accepted password for alice from fe80::1%eth0 port 50200 ssh2",
        "Accepted password for a from host.example port 1",
        "Failed password for x from 1.2.3.4 port 22\nx",
        "Failed password for x from 1.2.3.4 port 22\n",
        "Failed password for x\n from 1.2.3.4 port 22",
        "Failed password for x from 1.2.3.4 port 22 ssh2:",
        "Failed password for x from 1.2.3.4 port 0000022",
        "Failed password for ünïcødé from 1.2.3.4 port 22",
        "Accepted",
        "Failed ",
        "Invalid user admin from 203.0.113.9 port 52000",
        "Invalid user admin from 203.0.113.9",
        "Illegal user admin from 203.0.113.9",
        "Invalid user  from 203.0.113.9",
        "Invalid user from 203.0.113.9",
        "Invalid user a from 1.1.1.1 from 2.2.2.2",
        "Invalid user a from 1.1.1.1 port 1 from 2.2.2.2 port x",
        "Invalid user a from 1.1.1.1 port 123456",
        "Invalid user a from 1.1.1.1 port ",
        "Invalid user a from 1.1.1.1 ",
        "Invalid user a from  1.1.1.1",
        "Invalid user a from 1.1.1.1 port 22 ssh2",
        "Invalid user a from 1.1.1.1\n",
        "Invalid user a\nb from 1.1.1.1",
        "Invalid user a from from 1.1.1.1",
    ];

    public static int Run(string[] files)
    {
        var messages = new List<string>(Tricky);
        foreach (var file in files)
            foreach (var line in File.ReadLines(file))
            {
                var i = line.IndexOf("]: ", StringComparison.Ordinal);
                if (i > 0 && line.Contains(" sshd[", StringComparison.Ordinal)) messages.Add(line[(i + 3)..]);
            }
        var failures = 0;
        foreach (var m in messages)
        {
            var want = Describe(SshdMessageParser.InvalidUserPattern().Match(m));
            var got = SshdAttemptMatcher.TryMatchInvalidUser(m, out var b) ? $"{b.User}|{b.Ip}|{b.Port}" : "-";
            if (want != got) { failures++; Console.WriteLine($"invalid  {Show(m)}\n  regex   {want}\n  matcher {got}"); }
        }
        Console.WriteLine($"{messages.Count:N0} messages checked, {failures} differences");
        return failures == 0 ? 0 : 1;
    }

    private static string Describe(System.Text.RegularExpressions.Match r) =>
        r.Success ? $"{r.Groups["user"].Value}|{r.Groups["ip"].Value}|{(r.Groups["port"].Success ? r.Groups["port"].Value : "")}" : "-";

    private static string Show(string s) => s.Replace("\n", "\\n", StringComparison.Ordinal);
}
