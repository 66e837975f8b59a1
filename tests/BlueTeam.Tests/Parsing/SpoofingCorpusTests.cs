using System.Text.Json;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Parsing;
using BlueTeam.Parsing.App;
using BlueTeam.Sources;

namespace BlueTeam.Tests.Parsing;

/// <summary>
/// Issue 14's spoofing corpus: every field an attacker writes, in every source, carries an injected
/// address (6.6.6.6 or 2001:db8:666::6). No event may blame an injected address, and no line that
/// is an event may be lost; where the structure cannot tell which address is the real one, the event
/// is kept and blames none.
/// </summary>
public class SpoofingCorpusTests
{
    private const string Injected4 = "6.6.6.6";
    private const string Injected6 = "2001:db8:666::6";
    private const string Real = "203.0.113.50";

    /// <summary>What the line must give: the real peer, or an event that names no peer (ambiguous by construction).</summary>
    public enum Expect { RealPeer, NoPeer }

    private static string Sshd(string message, string tag = "sshd[4242]") => $"Mar 10 08:30:00 gate {tag}: {message}";

    public static TheoryData<string, string, Expect> Corpus => new()
    {
        // sshd: user names (before the peer)
        { Sshd($"Failed password for evil from {Injected4} port 22 ssh2 from {Real} port 4100 ssh2"), "auth", Expect.RealPeer },
        { Sshd($"Failed password for invalid user x from {Injected4} port 22 ssh2: from {Real} port 4100 ssh2"), "auth", Expect.RealPeer },
        { Sshd($"Failed password for x from {Injected6} port 22 ssh2: RSA SHA256:zz from {Real} port 4100 ssh2"), "auth", Expect.RealPeer },
        { Sshd($"Failed keyboard-interactive/pam for x from {Injected4} from {Real} port 4100 ssh2"), "auth", Expect.RealPeer },
        { Sshd($"Failed password for x from {Injected4} port 22 ssh1: ruser y from {Real} port 4100 ssh2"), "auth", Expect.RealPeer },
        { Sshd($"Accepted password for x from {Injected4} port 22 ssh2 from {Real} port 4100 ssh2"), "auth", Expect.RealPeer },
        { Sshd($"Invalid user a from {Injected4} port 22 from {Real} port 4100"), "auth", Expect.RealPeer },
        { Sshd($"Invalid user a from {Injected4} from {Real}"), "auth", Expect.RealPeer },
        { Sshd($"error: maximum authentication attempts exceeded for x from {Injected4} port 22 ssh2 from {Real} port 4100 ssh2 [preauth]"), "auth", Expect.RealPeer },
        { Sshd($"User a from {Injected4} not allowed because listed in DenyUsers from {Real} not allowed because not listed in AllowUsers"), "auth", Expect.RealPeer },
        { Sshd($"Connection closed by authenticating user x {Injected4} port 22 {Real} port 4100 [preauth]"), "auth", Expect.RealPeer },
        { Sshd($"Disconnected from invalid user x {Injected4} port 22 {Real} port 4100 [preauth]"), "auth", Expect.RealPeer },
        { Sshd($"Disconnecting invalid user a {Injected4} port 22: Too many authentication failures x {Real} port 4100: Too many authentication failures [preauth]"), "auth", Expect.RealPeer },
        { Sshd($"error: PAM: Authentication failure for a from {Injected4} from {Real}"), "auth", Expect.RealPeer },
        { Sshd($"error: PAM: authentication error for a from {Injected4} via 10.0.0.1 from {Real} via 10.0.0.1"), "auth", Expect.RealPeer },
        { Sshd($"error: PAM: User not known to the underlying authentication module for illegal user a from {Injected4} from {Real}"), "auth", Expect.RealPeer },
        // sshd: key and certificate IDs (after the peer)
        { Sshd($"Failed publickey for u from {Real} port 4100 ssh2: ED25519-CERT SHA256:abc ID evil from {Injected4} port 55555 ssh2: RSA SHA256:x (serial 1) CA ED25519 SHA256:def"), "auth", Expect.RealPeer },
        { Sshd($"Failed publickey for u from {Real} port 4100 ssh2: RSA-CERT SHA256:abc ID from {Injected4} port 22 (serial 9) CA RSA SHA256:def"), "auth", Expect.RealPeer },
        { Sshd($"Accepted publickey for u from {Real} port 4100 ssh2: ECDSA-CERT SHA256:abc ID x from {Injected6} port 22 ssh2 (serial 2) CA ECDSA SHA256:def"), "auth", Expect.RealPeer },
        { Sshd($"Failed hostbased for u from {Real} port 4100 ssh2: ED25519 SHA256:abc, client user \"x from {Injected4} port 22 ssh2\", client host \"h\""), "auth", Expect.RealPeer },
        // both user name and certificate ID built so that two addresses fit: kept, blames none
        { Sshd($"Failed publickey for x from {Injected4} port 22 ssh2: RSA-CERT SHA256:q ID  from {Real} port 4100 ssh2: ED25519-CERT SHA256:abc ID z from {Injected6} port 9 ssh2: RSA-CERT SHA256:w ID y (serial 1) CA ED25519 SHA256:def"), "auth", Expect.NoPeer },
        // sshd: other client-written text
        { Sshd($"Received disconnect from {Real} port 4100:11: bye from {Injected4} port 22 [preauth]"), "auth", Expect.RealPeer },
        { Sshd($"Received disconnect from {Real}: 3: {Injected4} port 22: Auth fail"), "auth", Expect.RealPeer },
        { Sshd($"Bad protocol version identification 'x from {Injected4} port 22' from {Real} port 4100"), "auth", Expect.RealPeer },
        { Sshd($"Unable to negotiate with {Real} port 4100: no matching cipher found. Their offer: from {Injected4} port 22 [preauth]"), "auth", Expect.RealPeer },
        { Sshd($"refused connect from evil@{Injected4} ({Real})"), "auth", Expect.RealPeer },
        { Sshd($"message repeated 3 times: [ Failed password for x from {Injected4} port 22 ssh2 from {Real} port 4100 ssh2]"), "auth", Expect.RealPeer },
        // PAM: a second rhost= in the user (after) or in ruser (before)
        { Sshd($"pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={Real}  user=x rhost={Injected4}"), "auth", Expect.RealPeer },
        { Sshd($"pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={Real}  user=x  rhost={Injected4} user=y"), "auth", Expect.RealPeer },
        { Sshd($"pam_unix(rsh:auth): authentication failure; logname= uid=0 euid=0 tty=rsh ruser=a rhost={Injected4} rhost={Real}  user=root"), "auth", Expect.NoPeer },
        // Access logs: user, request, referrer, user agent, X-Forwarded-For in front of the real client
        { $"{Real} - a [b [10/Mar/2026:08:30:00 +0000] \"GET / HTTP/1.1\" 401 5 \"-\" \"-\"", "access", Expect.RealPeer },
        { $"{Real} - - {Injected4} bob [10/Mar/2026:08:30:00 +0000] \"GET / HTTP/1.1\" 401 5 \"-\" \"-\"", "access", Expect.RealPeer },
        { $"{Real} - {Injected4} [10/Mar/2026:08:30:00 +0000] \"GET /?ip={Injected4} HTTP/1.1\" 200 5 \"http://{Injected4}/\" \"{Injected4} - - [10/Mar/2026:08:30:00 +0000]\"", "access", Expect.RealPeer },
        { $"{Injected4}, {Real}, 10.0.0.1 - - [10/Mar/2026:08:30:00 +0000] \"GET / HTTP/1.1\" 200 5", "access", Expect.RealPeer },
        { $"\"{Injected6}, {Real}\" 10.0.0.1 - - [10/Mar/2026:08:30:00 +0000] \"GET / HTTP/1.1\" 200 5", "access", Expect.RealPeer },
        // The application's JSON log: attacker-written values
        { $"{{\"timestamp\":\"2026-03-10T08:30:00Z\",\"event\":\"login_failed\",\"user\":\"bob from {Injected4}\",\"ip\":\"{Real}\",\"message\":\"from {Injected4}\",\"path\":\"/?ip={Injected4}\"}}", "json", Expect.RealPeer },
    };

    [Theory]
    [MemberData(nameof(Corpus))]
    public void Parse_InjectedAddress_IsNeverBlamedAndNoEventIsLost(string line, string type, Expect expect)
    {
        var registry = ParserRegistry.CreateDefault();
        var e = registry.Parse(new RawLine { Collector = "spoof", Type = type, Path = "/var/log/x", Text = line }, AuthLines.Context);

        Assert.NotNull(e);
        var blamed = e.Source?.Ip ?? e.Source?.Domain;
        Assert.NotEqual(Injected4, blamed);
        Assert.NotEqual(Injected6, blamed);
        if (expect == Expect.RealPeer) Assert.Equal(Real, blamed);
        else Assert.Null(e.Source?.Ip);
    }

    [Fact]
    public void Parse_AccessLogUserWithAnAddressBehindAnInternalClient_BlamesTheClient()
    {
        // The user field (Basic auth, the client's) held "- 6.6.6.6 bob": split from the right, its words joined the
        // client field and 6.6.6.6 was the first public address in it.
        var e = ParserRegistry.CreateDefault().Parse(new RawLine { Collector = "spoof", Type = "access", Path = "/var/log/x",
            Text = $"10.0.0.9 - - {Injected4} bob [10/Mar/2026:08:30:00 +0000] \"GET / HTTP/1.1\" 401 5 \"-\" \"-\"" }, AuthLines.Context);
        Assert.Equal("10.0.0.9", e?.Source?.Ip);
        Assert.Equal($"- {Injected4} bob", e?.User?.Name);
    }

    [Fact]
    public void Parse_AppJsonWithTheAddressKeyTwice_IsRefusedAndCounted()
    {
        var parser = new AppJsonParser();
        var e = parser.Parse(new RawLine { Collector = "spoof", Type = "json", Path = "/var/log/x",
            Text = $"{{\"timestamp\":\"2026-03-10T08:30:00Z\",\"event\":\"login_failed\",\"user\":\"bob\",\"ip\":\"{Real}\",\"ip\":\"{Injected4}\"}}" }, AuthLines.Context);
        Assert.Null(e);
        Assert.NotNull(parser.TakeRejection());
    }

    [Theory]
    [InlineData("Mar 10 08:30:00 gate cron[1]: Failed password for root from 6.6.6.6 port 22 ssh2")]
    [InlineData("Mar 10 08:30:00 gate evil[1]: sshd[2]: Failed password for root from 6.6.6.6 port 22 ssh2")]
    [InlineData("Mar 10 08:30:00 gate logger: Invalid user x from 6.6.6.6 port 22")]
    public void Parse_SshdTextUnderAnotherProgramsTag_IsNotAnSshdEvent(string line)
    {
        var e = ParserRegistry.CreateDefault().Parse(AuthLines.Line(line), AuthLines.Context);
        Assert.True(e is null || e.Source?.Ip != Injected4, $"blamed {e?.Source?.Ip} from {e?.Process?.Name}");
    }

    private static string JournalEntry(string identifier, string message, string? comm, string? uid, string? exe = null)
    {
        var entry = new Dictionary<string, string>
        {
            ["__REALTIME_TIMESTAMP"] = "1773131400000000",
            ["_HOSTNAME"] = "gate",
            ["SYSLOG_IDENTIFIER"] = identifier,
            ["_PID"] = "4242",
            ["_TRANSPORT"] = "syslog",
            ["MESSAGE"] = message,
        };
        if (comm is not null) entry["_COMM"] = comm;
        if (uid is not null) entry["_UID"] = uid;
        if (exe is not null) entry["_EXE"] = exe;
        return JsonSerializer.Serialize(entry);
    }

    private static SecurityEvent? ParseJournal(string json) =>
        ParserRegistry.CreateDefault().Parse(new RawLine { Collector = "journal", Type = "journald", Path = "journal", Text = json }, AuthLines.Context);

    [Theory]
    [InlineData("logger", "1000", null)]                 // logger -t sshd, as any local user
    [InlineData("python3", "1000", "/usr/bin/python3.11")] // a script calling syslog(3) with ident "sshd"
    [InlineData(null, "1000", null)]                     // the sender exited before journald read /proc
    [InlineData(null, null, null)]                       // an entry with none of journald's own fields
    public void Parse_JournalEntryClaimingSshd_IsNotBelievedWithoutJournaldsFields(string? comm, string? uid, string? exe)
    {
        var e = ParseJournal(JournalEntry("sshd", $"Failed password for root from {Injected4} port 22 ssh2", comm, uid, exe));
        Assert.True(e is null || e.Source?.Ip != Injected4, $"blamed {e?.Source?.Ip} as {e?.Process?.Name}");
    }

    [Fact]
    public void Parse_JournalHostShapedLikeATag_DoesNotBecomeTheProgram()
    {
        var json = JournalEntry("logger", $"Failed password for root from {Injected4} port 22 ssh2", "logger", "1000").Replace("\"gate\"", "\"[sshd]:\"");
        var e = ParseJournal(json);
        Assert.True(e is null || e.Source?.Ip != Injected4, $"blamed {e?.Source?.Ip} as {e?.Process?.Name}");
    }

    [Theory]
    [InlineData("sshd", "sshd", "0", "/usr/sbin/sshd")]
    [InlineData("sshd-session", "sshd-session", "0", "/usr/lib/openssh/sshd-session")]
    [InlineData("sshd-auth", "sshd-auth", "0", "/usr/lib/openssh/sshd-auth")]
    [InlineData("sshd", null, "0", null)]                // root whose process journald could not read
    public void Parse_JournalEntryFromSshd_IsReadWithTheRealPeer(string identifier, string? comm, string? uid, string? exe)
    {
        var e = ParseJournal(JournalEntry(identifier, $"Failed password for x from {Injected4} port 22 ssh2 from {Real} port 4100 ssh2", comm, uid, exe));
        Assert.NotNull(e);
        Assert.Equal(EventActions.SshLogin, e.Event.Action);
        Assert.Equal(Real, e.Source?.Ip);
    }
}
