using BlueTeam.Core.Events;
using BlueTeam.Parsing;
using BlueTeam.Parsing.Auth;

namespace BlueTeam.Tests.Parsing;

/// <summary>
/// Every sshd failure form that fail2ban's sshd filter (all modes), sshguard's scanner and CrowdSec's
/// sshd parsers recognise, one line of our own each (issue 14), with the address blueteam must blame.
/// </summary>
public class SshdFailureFormsTests
{
    private readonly AuthLogParser _parser = new();

    private SecurityEvent? Parse(string line) => _parser.Parse(AuthLines.Line(line), AuthLines.Context);

    private static string Line(string message, string tag = "sshd[4242]") => $"Mar 10 08:30:00 gate {tag}: {message}";

    public static TheoryData<string, string, string> Failures => new()
    {
        // Logins and their variants
        { Line("Failed password for invalid user guest from 2001:db8:5::9"), EventActions.SshLogin, "2001:db8:5::9" },
        { Line("Failed password for carol from 198.51.100.20 port 4100"), EventActions.SshLogin, "198.51.100.20" },
        { Line("Failed password for carol from 198.51.100.21 port 4100 ssh1"), EventActions.SshLogin, "198.51.100.21" },
        { Line("Failed rsa for carol from 198.51.100.22 port 4100 ssh1: ruser carol from 203.0.113.250"), EventActions.SshLogin, "198.51.100.22" },
        { Line("Failed keyboard-interactive/pam for invalid user zed from 198.51.100.23 port 4100 ssh2"), EventActions.SshLogin, "198.51.100.23" },
        { Line("Failed none for <invalid username> from 198.51.100.24 port 4100 ssh2"), EventActions.SshLogin, "198.51.100.24" },
        { Line("Failed publickey for git from 198.51.100.25 port 4100 ssh2: ECDSA 0e:ff:12:34:56:78:9a:bc:de:f0:12:34:56:78:9a:bc"), EventActions.SshLogin, "198.51.100.25" },
        { Line("Failed password for root from gw.example.net port 4100 ssh2"), EventActions.SshLogin, "gw.example.net" },
        { Line("Invalid user ftp from 198.51.100.26"), EventActions.SshLogin, "198.51.100.26" },
        // Program names of OpenSSH 9.8+ (sshd-session) and 10 (sshd-auth)
        { Line("Failed password for root from 198.51.100.27 port 4100 ssh2", "sshd-session[77]"), EventActions.SshLogin, "198.51.100.27" },
        { Line("Failed password for root from 198.51.100.28 port 4100 ssh2", "sshd-auth[78]"), EventActions.SshLogin, "198.51.100.28" },
        { Line("Invalid user oracle from 2001:db8:6::1 port 4100", "sshd-auth[79]"), EventActions.SshLogin, "2001:db8:6::1" },
        // sshd's own PAM errors (macOS, Solaris)
        { Line("error: PAM: Authentication failure for dave from 198.51.100.30"), EventActions.PamAuthFailure, "198.51.100.30" },
        { Line("error: PAM: authentication error for dave from mail.example.org via 10.1.1.1"), EventActions.PamAuthFailure, "mail.example.org" },
        { Line("error: PAM: Authentication failure for illegal user x from 2001:db8::31"), EventActions.PamAuthFailure, "2001:db8::31" },
        { Line("error: PAM: User not known to the underlying authentication module for illegal user q from 198.51.100.32 "), EventActions.PamUserUnknown, "198.51.100.32" },
        // Refusals
        { Line("refused connect from probe@host.example.com (::ffff:198.51.100.33)"), EventActions.SshConnectionRefused, "198.51.100.33" },
        { Line("drop connection #0 from [198.51.100.34]:50022 on [192.0.2.1]:22 penalty: failed authentication"), EventActions.SshConnectionRefused, "198.51.100.34" },
        { Line("User root from 198.51.100.35 not allowed because none of user's groups are listed in AllowGroups"), EventActions.SshUserNotAllowed, "198.51.100.35" },
        // Disconnects before authentication
        { Line("Received disconnect from 198.51.100.36: 3: com.example.Client: Auth fail"), EventActions.SshConnectionClosed, "198.51.100.36" },
        { Line("error: Received disconnect from 198.51.100.37 port 4100:14: No supported authentication methods available [preauth]"), EventActions.SshConnectionClosed, "198.51.100.37" },
        { Line("Connection closed by 198.51.100.38 [preauth]"), EventActions.SshConnectionClosed, "198.51.100.38" },
        { Line("Connection reset by authenticating user root 198.51.100.39 port 4100 [preauth]"), EventActions.SshConnectionClosed, "198.51.100.39" },
        { Line("Connection closed by invalid user  198.51.100.40 port 4100 [preauth]"), EventActions.SshConnectionClosed, "198.51.100.40" },
        { Line("Disconnected from authenticating user root 2001:db8::41 port 4100 [preauth]"), EventActions.SshConnectionClosed, "2001:db8::41" },
        { Line("Disconnecting invalid user ann 198.51.100.42 port 4100: Change of username or service not allowed: (ann,ssh-connection) -> (bob,ssh-connection) [preauth]"), EventActions.SshConnectionClosed, "198.51.100.42" },
        // IPv6 in the forms that read the peer from the left or from a fixed prefix
        { Line("Received disconnect from 2001:db8::70: 3: com.example.Client: Auth fail"), EventActions.SshConnectionClosed, "2001:db8::70" },
        { Line("Received disconnect from 2001:db8::71 port 4100:14: No supported authentication methods available [preauth]"), EventActions.SshConnectionClosed, "2001:db8::71" },
        { Line("banner exchange: Connection from 2001:db8::72 port 4100: invalid format"), EventActions.SshHandshakeFailed, "2001:db8::72" },
        { Line("Unable to negotiate with 2001:db8::73 port 4100: no matching host key type found. Their offer: ssh-dss [preauth]"), EventActions.SshHandshakeFailed, "2001:db8::73" },
        { Line("drop connection #3 from [2001:db8::74]:4100 on [2001:db8::1]:22 penalty: exceeded LoginGraceTime"), EventActions.SshConnectionRefused, "2001:db8::74" },
        { Line("refused connect from 2001:db8::75 (2001:db8::75)"), EventActions.SshConnectionRefused, "2001:db8::75" },
        // Protocol failures
        { Line("banner exchange: Connection from 198.51.100.43 port 4100: invalid format"), EventActions.SshHandshakeFailed, "198.51.100.43" },
        { Line("Bad protocol version identification 'GET / HTTP/1.1' from 198.51.100.44 port 4100"), EventActions.SshHandshakeFailed, "198.51.100.44" },
        { Line("fatal: Unable to negotiate with 198.51.100.45 port 4100: no matching key exchange method found. Their offer: diffie-hellman-group1-sha1 [preauth]"), EventActions.SshHandshakeFailed, "198.51.100.45" },
        { Line("Timeout before authentication for connection from 198.51.100.46 to 192.0.2.1, pid = 4242"), EventActions.SshHandshakeFailed, "198.51.100.46" },
        // Headers: Solaris message id, bracketed tag without host, RFC 5424
        { "Mar 10 08:30:00 sol sshd[4242]: [ID 800047 auth.info] Failed keyboard-interactive for erin from 198.51.100.47 port 4100 ssh2", EventActions.SshLogin, "198.51.100.47" },
        { "Mar 10 08:30:00 [sshd]: User root from 198.51.100.48 not allowed because not listed in AllowUsers", EventActions.SshUserNotAllowed, "198.51.100.48" },
        { "Mar 10 08:30:00 [sshd] Failed password for root from 198.51.100.49 port 4100 ssh2", EventActions.SshLogin, "198.51.100.49" },
        { "Mar 10 08:30:00 router authpriv.info sshd[4242]: Failed password for root from 198.51.100.53 port 4100 ssh2", EventActions.SshLogin, "198.51.100.53" },
        { "<38>1 2026-03-10T08:30:00.5+00:00 gate.example sshd 4242 - - Failed unknown for invalid user x from 198.51.100.50 port 4100 ssh2", EventActions.SshLogin, "198.51.100.50" },
        { "Mar 10 08:30:00 gate sshd[4242]: kernel:[  970.699396]: Failed password for root from 198.51.100.51 port 4100 ssh2", EventActions.SshLogin, "198.51.100.51" },
        { "Mar 10 08:30:00 gate sshd[4242]: kernel: [  970.699396] Failed password for root from 198.51.100.52 port 4100 ssh2", EventActions.SshLogin, "198.51.100.52" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Parse_FailureForm_IsAFailureFromTheRealPeer(string line, string action, string peer)
    {
        var e = Parse(line);
        Assert.NotNull(e);
        Assert.Equal(action, e.Event.Action);
        Assert.Equal(EcsValues.Failure, e.Event.Outcome);
        Assert.Equal(peer, e.Source?.Ip ?? e.Source?.Domain);
    }

    [Fact]
    public void Parse_TooManyFailuresWithoutAddress_TakesThePeerOfTheSameConnection()
    {
        Assert.Null(Parse(Line("Connection from 198.51.100.60 port 4100 on 192.0.2.1 port 22", "sshd[500]")));
        var e = Parse(Line("Disconnecting: Too many authentication failures for root [preauth]", "sshd[500]"));
        Assert.Equal(EventActions.SshMaxAuthAttempts, e?.Event.Action);
        Assert.Equal("198.51.100.60", e?.Source?.Ip);
        Assert.Equal("root", e?.User?.Name);
    }

    [Fact]
    public void Parse_FailureWithoutAddressBeforeThePeer_ItsCloseLineCarriesTheFailure()
    {
        var first = Parse(Line("error: kex_exchange_identification: Connection closed by remote host", "sshd[501]"));
        Assert.Equal(EcsValues.Failure, first?.Event.Outcome);
        Assert.Null(first?.Source);
        var close = Parse(Line("Connection closed by 198.51.100.61 port 4100", "sshd[501]"));
        Assert.Equal(EcsValues.Failure, close?.Event.Outcome);
        Assert.Equal("198.51.100.61", close?.Source?.Ip);
        Assert.Contains("kex_exchange_identification", close?.Event.Reason);
    }

    [Fact]
    public void Parse_CloseAfterALogin_StaysUnknown()
    {
        Parse(Line("Accepted publickey for ops from 198.51.100.62 port 4100 ssh2: ED25519 SHA256:AbCd", "sshd[502]"));
        var close = Parse(Line("Connection closed by 198.51.100.62 port 4100", "sshd[502]"));
        Assert.Equal(EcsValues.Unknown, close?.Event.Outcome);
    }

    [Fact]
    public void Parse_ConnectionsOfAnotherPidOrHost_DoNotLend_TheirPeer()
    {
        Parse(Line("Connection from 198.51.100.63 port 4100 on 192.0.2.1 port 22", "sshd[503]"));
        Assert.Null(Parse(Line("Disconnecting: Too many authentication failures [preauth]", "sshd[504]"))?.Source);
        Assert.Null(Parse("Mar 10 08:30:00 other sshd[503]: Disconnecting: Too many authentication failures [preauth]")?.Source);
    }

    [Fact]
    public void Parse_AccountLockedWithoutAddress_TakesThePeerOfTheSameConnection()
    {
        Parse(Line("Connection from 2001:db8::64 port 4100 on 2001:db8::1 port 22", "sshd[505]"));
        var e = Parse(Line("User root not allowed because account is locked", "sshd[505]"));
        Assert.Equal(EventActions.SshUserNotAllowed, e?.Event.Action);
        Assert.Equal("2001:db8::64", e?.Source?.Ip);
        Assert.Equal("account is locked", e?.Event.Reason);
    }

    [Fact]
    public void Parse_VendorAuditRemote_IsThePeerOfTheFollowingFatal()
    {
        Assert.Null(Parse(Line("SSH: Server;Ltype: Kex;Remote: 198.51.100.65-4100;Enc: aes128-ctr;MAC: hmac-sha1;Comp: none [preauth]", "sshd[506]")));
        var e = Parse(Line("fatal: Read from socket failed: Connection reset by peer [preauth]", "sshd[506]"));
        Assert.Equal(EventActions.SshHandshakeFailed, e?.Event.Action);
        Assert.Equal("198.51.100.65", e?.Source?.Ip);
    }

    [Fact]
    public void Parse_DottedQuadWithLeadingZero_IsNotReadAsOctal()
    {
        // IPAddress would read 030 as octal (192.24.0.6); the text is kept as a name instead of a wrong address.
        var e = Parse(Line("error: PAM: Authentication failure for u from 192.030.0.6"));
        Assert.Null(e?.Source?.Ip);
        Assert.Equal("192.030.0.6", e?.Source?.Domain);
    }

    [Fact]
    public void Parse_PamMoreFailures_IsAPamFailureWithItsCount()
    {
        var e = Parse(Line("PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.67  user=root"));
        Assert.Equal(EventActions.PamAuthFailure, e?.Event.Action);
        Assert.Equal("198.51.100.67", e?.Source?.Ip);
        Assert.Equal("root", e?.User?.Name);
        Assert.Equal("2", e?.Labels?[AuthLogParser.RepeatCountLabel]);
    }

    [Fact]
    public void Parse_PeerOfAnOldConnectionWithTheSamePid_IsNotLent()
    {
        // The earlier connection's close line was lost; its pid comes back an hour later.
        Parse("Mar 10 07:00:00 gate sshd[600]: Connection from 198.51.100.68 port 4100 on 192.0.2.1 port 22");
        var e = Parse("Mar 10 08:00:00 gate sshd[600]: Disconnecting: Too many authentication failures [preauth]");
        Assert.Null(e?.Source);
        Assert.Equal(EcsValues.Failure, e?.Event.Outcome);
    }

    [Fact]
    public void Parse_NormalDisconnectAfterSession_StaysUnknown()
    {
        var e = Parse(Line("Received disconnect from 198.51.100.66 port 4100:11: disconnected by user"));
        Assert.Equal(EcsValues.Unknown, e?.Event.Outcome);
        Assert.Equal("198.51.100.66", e?.Source?.Ip);
    }
}
