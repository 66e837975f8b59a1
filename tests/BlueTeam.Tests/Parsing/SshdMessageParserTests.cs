using BlueTeam.Core.Events;
using BlueTeam.Parsing;
using BlueTeam.Parsing.Auth;

namespace BlueTeam.Tests.Parsing;

public class SshdMessageParserTests
{
    private readonly AuthLogParser _parser = new();

    private SecurityEvent? Parse(string text, long offset = 0) => _parser.Parse(AuthLines.Line(text, offset), AuthLines.Context);

    [Fact]
    public void Parse_FailedPassword_FillsEcsFields()
    {
        var e = Parse("Mar 10 08:30:00 eqmon-web01 sshd[3021]: Failed password for root from 203.0.113.7 port 41000 ssh2", offset: 18344);

        Assert.NotNull(e);
        Assert.Equal(new DateTimeOffset(2026, 3, 10, 8, 30, 0, TimeSpan.Zero), e.Timestamp);
        Assert.Equal("event", e.Event.Kind);
        Assert.Equal([EcsValues.Authentication], e.Event.Category);
        Assert.Equal([EcsValues.Info], e.Event.Type);
        Assert.Equal(EventActions.SshLogin, e.Event.Action);
        Assert.Equal(EcsValues.Failure, e.Event.Outcome);
        Assert.Equal("Failed password", e.Event.Reason);
        Assert.Equal("203.0.113.7", e.Source?.Ip);
        Assert.Equal(41000, e.Source?.Port);
        Assert.Equal("root", e.User?.Name);
        Assert.Equal("eqmon-web01", e.Host?.Hostname);
        Assert.Equal("sshd", e.Process?.Name);
        Assert.Equal(3021, e.Process?.Pid);
        Assert.Equal("/var/log/auth.log", e.Log?.File?.Path);
        Assert.Equal(18344, e.Log?.Offset);
        Assert.Equal("Failed password for root from 203.0.113.7 port 41000 ssh2", e.Message);
        Assert.Equal("auth_log", e.Labels?["collector"]);
    }

    [Fact]
    public void Parse_FailedPasswordForInvalidUser_NamesTheTriedUser()
    {
        var e = Parse("Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2");
        Assert.NotNull(e);
        Assert.Equal(EcsValues.Failure, e.Event.Outcome);
        Assert.Equal("webmaster", e.User?.Name);
        Assert.Equal("173.234.31.186", e.Source?.Ip);
        Assert.Equal(38926, e.Source?.Port);
        Assert.Equal("Failed password for invalid user", e.Event.Reason);
    }

    [Fact]
    public void Parse_FailedPasswordFromIpv6_ReadsAddressAndPort()
    {
        var e = Parse("Mar 10 08:30:00 h sshd[1]: Failed password for admin from 2001:db8::dead:beef port 52114 ssh2");
        Assert.Equal("2001:db8::dead:beef", e?.Source?.Ip);
        Assert.Equal(52114, e?.Source?.Port);
        Assert.Equal("admin", e?.User?.Name);
    }

    [Fact]
    public void Parse_Ipv4MappedIpv6_NormalizesToIpv4()
    {
        var e = Parse("Mar 10 08:30:00 h sshd[1]: Failed password for root from ::ffff:203.0.113.7 port 22 ssh2");
        Assert.Equal("203.0.113.7", e?.Source?.Ip);
    }

    [Fact]
    public void Parse_FailedPublickey_IsAFailureWithKeyTrailerIgnored()
    {
        var e = Parse("Mar 10 08:30:00 h sshd[1]: Failed publickey for git from 198.51.100.4 port 5022 ssh2: RSA SHA256:AAAAB3NzaC1yc2E");
        Assert.Equal(EcsValues.Failure, e?.Event.Outcome);
        Assert.Equal("Failed publickey", e?.Event.Reason);
        Assert.Equal("git", e?.User?.Name);
        Assert.Equal("198.51.100.4", e?.Source?.Ip);
    }

    [Fact]
    public void Parse_InvalidUserWithoutPort_IsAFailure()
    {
        var e = Parse("Feb 21 21:56:12 localhost sshd[3430]: Invalid user test from 10.0.2.2");
        Assert.NotNull(e);
        Assert.Equal(EventActions.SshLogin, e.Event.Action);
        Assert.Equal(EcsValues.Failure, e.Event.Outcome);
        Assert.Equal("Invalid user", e.Event.Reason);
        Assert.Equal("test", e.User?.Name);
        Assert.Equal("10.0.2.2", e.Source?.Ip);
        Assert.Null(e.Source?.Port);
    }

    [Fact]
    public void Parse_InvalidUserWithPortAndIpv6_ReadsBoth()
    {
        var e = Parse("Mar 10 08:30:00 h sshd-session[9]: Invalid user oracle from 2001:db8::7 port 40022");
        Assert.Equal("oracle", e?.User?.Name);
        Assert.Equal("2001:db8::7", e?.Source?.Ip);
        Assert.Equal(40022, e?.Source?.Port);
        Assert.Equal("sshd-session", e?.Process?.Name);
    }

    [Fact]
    public void Parse_InvalidEmptyUser_HasNoUserName()
    {
        var e = Parse("Mar 10 08:30:00 h sshd[1]: Invalid user  from 203.0.113.9 port 1234");
        Assert.NotNull(e);
        Assert.Null(e.User);
        Assert.Equal("203.0.113.9", e.Source?.Ip);
    }

    [Fact]
    public void Parse_AcceptedPublickey_IsASuccessfulSessionStart()
    {
        var e = Parse("Feb 21 21:54:44 localhost sshd[3402]: Accepted publickey for vagrant from 10.0.2.2 port 63673 ssh2: RSA 39:33:99:e9:a0:dc:f2:33:a3:e5:72:3b:7c:3a:56:84");
        Assert.NotNull(e);
        Assert.Equal(EcsValues.Success, e.Event.Outcome);
        Assert.Equal([EcsValues.Authentication, EcsValues.Session], e.Event.Category);
        Assert.Equal("Accepted publickey", e.Event.Reason);
        Assert.Equal("vagrant", e.User?.Name);
        Assert.Equal("10.0.2.2", e.Source?.Ip);
        Assert.Equal(63673, e.Source?.Port);
        Assert.Equal("localhost", e.Host?.Hostname);
    }

    [Theory]
    [InlineData("Accepted password for alice from 192.0.2.1 port 1 ssh2", "Accepted password")]
    [InlineData("Accepted keyboard-interactive/pam for alice from 192.0.2.1 port 1 ssh2", "Accepted keyboard-interactive/pam")]
    [InlineData("Accepted password for alice from 192.0.2.1 port 1", "Accepted password")]
    public void Parse_AcceptedMethods_AreSuccesses(string message, string reason)
    {
        var e = Parse($"Mar 10 08:30:00 h sshd[1]: {message}");
        Assert.Equal(EcsValues.Success, e?.Event.Outcome);
        Assert.Equal(reason, e?.Event.Reason);
        Assert.Equal("alice", e?.User?.Name);
    }

    [Fact]
    public void Parse_UserNameCarryingAForgedAddress_TakesTheAddressSshdWroteLast()
    {
        var e = Parse("Mar 10 08:30:00 h sshd[1]: Failed password for invalid user x from 10.9.9.9 port 22 ssh2 from 203.0.113.7 port 50000 ssh2");
        Assert.Equal("203.0.113.7", e?.Source?.Ip);
        Assert.Equal(50000, e?.Source?.Port);
        Assert.Equal("x from 10.9.9.9 port 22 ssh2", e?.User?.Name);
    }

    [Fact]
    public void Parse_PeerLoggedAsHostName_SetsDomainNotIp()
    {
        var e = Parse("Mar 10 08:30:00 h sshd[1]: Failed password for root from scanner.example.net port 22 ssh2");
        Assert.Null(e?.Source?.Ip);
        Assert.Equal("scanner.example.net", e?.Source?.Domain);
    }

    [Fact]
    public void Parse_HostOmittedFromLine_UsesContextDefaultHost()
    {
        var e = Parse("Mar 10 08:30:00 sshd[1]: Failed password for root from 203.0.113.7 port 22 ssh2");
        Assert.Equal("eqmon-web01", e?.Host?.Hostname);
    }

    [Theory]
    [InlineData("Mar 10 08:30:00 h sshd[1]: Server listening on 0.0.0.0 port 22.")]
    [InlineData("Mar 10 08:30:00 h sshd[1]: fatal: Write failed: Connection reset by peer [preauth]")]
    [InlineData("Mar 10 08:30:00 h sshd[1]: Failed password for root from not_an_ip! port 22 ssh2")]
    [InlineData("Mar 10 08:30:00 h sshd[1]: Failed password for root from 203.0.113.7 port 99999999 ssh2")]
    [InlineData("Mar 10 08:30:00 h sshd[1]: Invalid user bob from")]
    [InlineData("Mar 10 08:30:00 h sudo: Failed password for root from 203.0.113.7 port 22 ssh2")]
    [InlineData("Mar 10 08:30:00 h notsshd[1]: Accepted password for root from 203.0.113.7 port 22 ssh2")]
    public void Parse_LinesOfNoInterestOrOtherPrograms_ReturnNull(string line)
    {
        Assert.Null(Parse(line));
    }
}
