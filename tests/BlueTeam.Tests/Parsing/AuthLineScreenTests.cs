using System.Text;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Parsing;
using BlueTeam.Parsing.Auth;
using BlueTeam.Sources;
using BlueTeam.Tests.Support;

namespace BlueTeam.Tests.Parsing;

/// <summary>
/// scan passes over auth lines that <see cref="AuthLogParser.MayYieldEvent"/> declines, before they become strings.
/// That is only correct if a parser that never sees the declined lines produces exactly the events of one that
/// sees every line (same events, same order, same sshd session memory): checked here on hand-written lines of
/// every program, on the public samples, and on tens of thousands of hostile mutations of them.
/// </summary>
public class AuthLineScreenTests
{
    private static readonly string[] Programs =
    [
        "sshd[3021]", "sshd-session[77]", "sshd-auth[78]", "sudo", "sudo[12]", "su[9]", "su-l[9]", "useradd[5]", "passwd[4]", "kernel",
        "unix_chkpwd[8]", "pam[1]", "CRON[3002]", "systemd-logind[812]", "systemd[1]", "login[33]", "sshd(pam_unix)[3021]", "cron(pam_unix)[5]",
    ];

    private static readonly string[] Messages =
    [
        "Failed password for root from 1.0.0.1 port 19048 ssh2",
        "Failed password for invalid user admin from 203.0.113.9 port 2222 ssh2",
        "Accepted publickey for carol from 198.51.100.17 port 30463 ssh2: ED25519 SHA256:q0Zp1",
        "Invalid user test from 203.0.113.9 port 4711",
        "Connection closed by authenticating user root 1.0.0.1 port 19048 [preauth]",
        "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
        "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=root",
        "pam_faillock(sshd:auth): Consecutive login failures for user bob account temporarily locked",
        "authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9",
        "session opened for user root by (uid=0)",
        "(root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)",
        "New session 3005 of user carol.",
        "   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id",
        "new user: name=eve, UID=1002, GID=1002, home=/home/eve, shell=/bin/bash, from=/dev/pts/0",
        "password for 'bob' changed by 'root'",
        "message repeated 3 times: [ Failed password for root from 1.0.0.1 port 19048 ssh2]",
        "message repeated 2 times: [ pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4]",
        "[ID 800047 auth.info] Failed password for root from 1.0.0.1 port 22 ssh2",
        "kernel: [  970.699396] audit: backlog limit exceeded",
        "audit: backlog limit exceeded",
        "FAILED SU (to root) bob on pts/0",
        "+ pts/0 alice:root",
        "Received disconnect from 198.51.100.17 port 30463:11: disconnected by user",
    ];

    private static readonly string[] Headers =
    [
        "Mar 10 08:30:00 eqmon-web01 ", "Mar  1 00:00:01 eqmon-web01 ", "Feb 29 10:00:00 h ", "Mar 10 08:30:00.123 eqmon-web01 ",
        "2026-03-10T08:30:00.123456+01:00 eqmon-web01 ", "2026-03-10T08:30:00 eqmon-web01 ", "<38>Mar 10 08:30:00 eqmon-web01 ",
        "Mar 10 08:30:00 eqmon-web01 authpriv.info ", "Mar 10 08:30:00 ", "Foo 10 08:30:00 eqmon-web01 ", "2026-02-30T08:30:00Z eqmon-web01 ",
    ];

    private static readonly string[] HostilePieces =
    [
        " ", "  ", ":", ": ", "[", "]", "(", ")", "[1]", "(pam_unix)", "pam_", "sshd", "sshd[", "sudo:", "message repeated ", "times: [", "]",
        "\t", "é", "\0", "<13>", "1 ", "Mar", "99", ".", "-", "ssh2", " from ", " port ", "pam_unix(", "): ",
    ];

    [Fact]
    public void MayYieldEvent_HandWrittenLinesOfEveryProgram_SameEventsWithoutTheDeclinedOnes()
    {
        var lines = new List<string>();
        foreach (var header in Headers)
            foreach (var program in Programs)
                foreach (var message in Messages)
                    lines.Add($"{header}{program}: {message}");
        lines.Add("");
        lines.Add("not a syslog line at all");
        lines.Add("<13>1 2026-03-10T08:30:00Z eqmon-web01 sshd 3021 - - Failed password for root from 1.0.0.1 port 22 ssh2");
        lines.Add("<13>1 - eqmon-web01 sshd 3021 - - Failed password for root from 1.0.0.1 port 22 ssh2");
        lines.Add("Mar 10 08:30:00 eqmon-web01 [sshd]: Failed password for root from 1.0.0.1 port 22 ssh2");
        var declined = AssertSameEventsWithScreen("hand-written", lines);
        Assert.True(declined > lines.Count / 4, $"only {declined} of {lines.Count} lines declined: the screen passes over nothing");
    }

    [Fact]
    public void MayYieldEvent_HostileMutations_SameEventsWithoutTheDeclinedOnes()
    {
        var seeds = new List<string>();
        foreach (var header in Headers)
            foreach (var program in Programs)
                seeds.Add($"{header}{program}: {Messages[seeds.Count % Messages.Length]}");
        var random = new Random(18);
        var lines = new List<string>();
        for (var i = 0; i < 40_000; i++) lines.Add(ParserEquivalenceTests.Mutate(seeds[random.Next(seeds.Count)], seeds, random, HostilePieces));
        AssertSameEventsWithScreen("mutations", lines);
    }

    [Fact]
    [Trait("Category", Datasets.Category)]
    public void MayYieldEvent_PublicAuthSamples_SameEventsWithoutTheDeclinedOnes()
    {
        string[] samples =
        [
            "elastic-integrations/system-auth/test-auth.log", "elastic-integrations/system-auth/test-auth-rhel79.log",
            "elastic-beats-filebeat/system-auth/timestamp.log", "loghub-openssh/OpenSSH_2k.log", "loghub-linux/Linux_2k.log",
        ];
        var random = new Random(7);
        foreach (var sample in samples)
        {
            var lines = File.ReadAllText(Datasets.PathOf(sample)).Split('\n').Select(l => l.TrimEnd('\r')).ToList();
            AssertSameEventsWithScreen(sample, lines);
            AssertSameEventsWithScreen(sample + " mutated", [.. Enumerable.Range(0, 5_000).Select(_ => ParserEquivalenceTests.Mutate(lines[random.Next(lines.Count)], lines, random, HostilePieces))]);
        }
    }

    [Fact]
    public void ReadLines_WithScreen_SkipsDeclinedAsciiLinesAndCountsThem()
    {
        var text = "keep 1\nskip 2\r\nskip é\nkeep 4\nskip 5\n" + new string('s', 40) + "\nskip unterminated";
        var reader = new LineReader(maxLineBytes: 32);
        var seen = new List<string>();
        var lines = reader.ReadLines(new MemoryStream(Encoding.UTF8.GetBytes(text)), 0, includeUnterminated: true, line =>
        {
            seen.Add(line.ToString());
            return line.StartsWith("keep");
        }).ToList();

        // Non-ASCII and cut lines are never screened; nor is an unterminated last line.
        Assert.Equal(["keep 1", "skip é", "keep 4", new string('s', 32), "skip unterminated"], lines.Select(l => l.Text));
        Assert.Equal(["keep 1", "skip 2", "keep 4", "skip 5"], seen); // the CR is not part of the line
        Assert.Equal(2, reader.ScreenedOut);
        Assert.Equal(Encoding.UTF8.GetByteCount(text[..text.IndexOf("keep 4", StringComparison.Ordinal)]), lines[2].Offset); // byte offsets, as without a screen
        Assert.True(lines[3].Truncated);
    }

    /// <summary>Parses every line with one parser, and only the lines the screen keeps with another; returns how many it declined.</summary>
    private static int AssertSameEventsWithScreen(string what, List<string> lines)
    {
        var all = new AuthLogParser();
        var screened = new AuthLogParser();
        var declined = 0;
        for (var i = 0; i < lines.Count; i++)
        {
            var raw = AuthLines.Line(lines[i], offset: i);
            var want = all.Parse(raw, AuthLines.Context) is { } w ? EcsJson.Serialize(w) : null;
            string? got = null;
            if (screened.MayYieldEvent(lines[i]))
                got = screened.Parse(raw, AuthLines.Context) is { } g ? EcsJson.Serialize(g) : null;
            else declined++;
            Assert.True(want == got, $"{what}: line {i}: {lines[i]}\nwant {want}\ngot  {got}");
        }
        return declined;
    }
}
