using BlueTeam.Core.Events;
using BlueTeam.Parsing;
using BlueTeam.Parsing.Auth;
using BlueTeam.Parsing.Syslog;

namespace BlueTeam.Tests.Parsing;

/// <summary>One line per supported message form, through the auth parser as the pipeline runs it.</summary>
public class AuthMessageParsersTests
{
    private readonly AuthLogParser _parser = new();

    private SecurityEvent Parse(string message, string tag = "sshd[42]")
    {
        var e = _parser.Parse(AuthLines.Line($"Mar 10 08:30:00 eqmon-web01 {tag}: {message}"), AuthLines.Context);
        Assert.NotNull(e);
        return e;
    }

    [Theory]
    [InlineData("Failed publickey for alice from 203.0.113.7 port 22 ssh2: RSA SHA256:abc", EventActions.SshLogin, "alice", "203.0.113.7")]
    [InlineData("error: maximum authentication attempts exceeded for invalid user admin from 2001:db8::7 port 5000 ssh2 [preauth]", EventActions.SshMaxAuthAttempts, "admin", "2001:db8::7")]
    [InlineData("Disconnecting authenticating user root 203.0.113.7 port 22: Too many authentication failures [preauth]", EventActions.SshMaxAuthAttempts, "root", "203.0.113.7")]
    [InlineData("Connection closed by authenticating user root 203.0.113.7 port 41000 [preauth]", EventActions.SshConnectionClosed, "root", "203.0.113.7")]
    [InlineData("Connection closed by invalid user oracle 203.0.113.7 port 41000 [preauth]", EventActions.SshConnectionClosed, "oracle", "203.0.113.7")]
    [InlineData("Connection reset by 203.0.113.7 port 41000 [preauth]", EventActions.SshConnectionClosed, null, "203.0.113.7")]
    [InlineData("Received disconnect from 203.0.113.7 port 41000:11: Bye Bye [preauth]", EventActions.SshConnectionClosed, null, "203.0.113.7")]
    [InlineData("ROOT LOGIN REFUSED FROM 203.0.113.7 port 41000", EventActions.SshRootLoginRefused, "root", "203.0.113.7")]
    [InlineData("User bob from 203.0.113.7 not allowed because not listed in AllowUsers", EventActions.SshUserNotAllowed, "bob", "203.0.113.7")]
    [InlineData("User bob from 203.0.113.7 not allowed because listed in DenyUsers", EventActions.SshUserNotAllowed, "bob", "203.0.113.7")]
    [InlineData("Did not receive identification string from 203.0.113.7 port 5555", EventActions.SshNoIdentification, null, "203.0.113.7")]
    [InlineData("pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.7  user=root", EventActions.PamAuthFailure, "root", "203.0.113.7")]
    [InlineData("reverse mapping checking getaddrinfo for bad.example [203.0.113.7] failed - POSSIBLE BREAK-IN ATTEMPT!", EventActions.SshReverseMappingFailed, null, "203.0.113.7")]
    public void Parse_SshdMessage_YieldsActionUserAndSource(string message, string action, string? user, string ip)
    {
        var e = Parse(message);
        Assert.Equal(action, e.Event.Action);
        Assert.Equal(user, e.User?.Name);
        Assert.Equal(ip, e.Source?.Ip);
        Assert.Equal("sshd", e.Process?.Name);
        Assert.Equal(42, e.Process?.Pid);
    }

    [Fact]
    public void Parse_ConnectionClosedPreauth_SetsPreauthLabelAndFailureOutcome()
    {
        // Issue 14: a connection closed before it authenticated is a failure (it was "unknown").
        var e = Parse("Connection closed by authenticating user root 203.0.113.7 port 41000 [preauth]");
        Assert.Equal("true", e.Labels?["preauth"]);
        Assert.Equal(EcsValues.Failure, e.Event.Outcome);
        Assert.Equal(41000, e.Source?.Port);
    }

    [Fact]
    public void Parse_MessageRepeated_ParsesInnerMessageAndLabelsCount()
    {
        var e = Parse("message repeated 5 times: [ Failed password for root from 203.0.113.7 port 22 ssh2]");
        Assert.Equal(EventActions.SshLogin, e.Event.Action);
        Assert.Equal(EcsValues.Failure, e.Event.Outcome);
        Assert.Equal("5", e.Labels?[AuthLogParser.RepeatCountLabel]);
        Assert.Equal("203.0.113.7", e.Source?.Ip);
    }

    [Fact]
    public void Parse_OldStylePamTag_YieldsPamAuthFailureWithHostNameSource()
    {
        var e = Parse("authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=host.example.com  user=guest", "sshd(pam_unix)[19939]");
        Assert.Equal(EventActions.PamAuthFailure, e.Event.Action);
        Assert.Equal("guest", e.User?.Name);
        Assert.Equal("host.example.com", e.Source?.Domain);
        Assert.Equal("sshd", e.Labels?["service"]);
    }

    [Fact]
    public void Parse_SudoCommand_CarriesUserTargetTtyPwdAndCommand()
    {
        var e = Parse("alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/cat /etc/shadow", "sudo");
        Assert.Equal(EventActions.SudoCommand, e.Event.Action);
        Assert.Equal(EcsValues.Success, e.Event.Outcome);
        Assert.Equal("alice", e.User?.Name);
        Assert.Equal("root", e.User?.Effective?.Name);
        Assert.Equal("/usr/bin/cat /etc/shadow", e.Process?.CommandLine);
        Assert.Equal("/home/alice", e.Process?.WorkingDirectory);
        Assert.Equal("pts/0", e.Labels?["tty"]);
    }

    [Theory]
    [InlineData("alice : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash", EventActions.SudoAuthFailure)]
    [InlineData("   mallory : user NOT in sudoers ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/bin/sh", EventActions.SudoDenied)]
    [InlineData("pam_unix(sudo:auth): authentication failure; logname=alice uid=1000 euid=0 tty=/dev/pts/1 ruser=alice rhost=  user=alice", EventActions.PamAuthFailure)]
    public void Parse_SudoFailures_YieldFailureActions(string message, string action)
    {
        var e = Parse(message, "sudo");
        Assert.Equal(action, e.Event.Action);
        Assert.Equal(EcsValues.Failure, e.Event.Outcome);
        Assert.NotNull(e.User?.Name);
    }

    [Fact]
    public void Parse_SudoIncorrectPasswordAttempts_LabelsAttemptCount()
    {
        Assert.Equal("3", Parse("alice : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/bash", "sudo").Labels?["attempts"]);
    }

    [Theory]
    [InlineData("(to root) alice on pts/0", EcsValues.Success)]
    [InlineData("FAILED SU (to root) alice on pts/0", EcsValues.Failure)]
    [InlineData("Successful su for root by alice", EcsValues.Success)]
    [InlineData("FAILED su for root by alice", EcsValues.Failure)]
    [InlineData("+ pts/0 alice:root", EcsValues.Success)]
    [InlineData("- pts/0 alice:root", EcsValues.Failure)]
    public void Parse_SuDialects_YieldSuLoginFromAliceToRoot(string message, string outcome)
    {
        var e = Parse(message, "su[77]");
        Assert.Equal(EventActions.SuLogin, e.Event.Action);
        Assert.Equal(outcome, e.Event.Outcome);
        Assert.Equal("alice", e.User?.Name);
        Assert.Equal("root", e.User?.Effective?.Name);
    }

    [Fact]
    public void Parse_SuSessionOpenedByUser_NamesSwitcherAndTarget()
    {
        var e = Parse("pam_unix(su:session): session opened for user root(uid=0) by alice(uid=1000)", "su[77]");
        Assert.Equal(EventActions.SessionOpened, e.Event.Action);
        Assert.Equal("alice", e.User?.Name);
        Assert.Equal("root", e.User?.Effective?.Name);
    }

    [Theory]
    [InlineData("useradd[1]", "new user: name=eve, UID=1001, GID=1001, home=/home/eve, shell=/bin/bash", EventActions.UserAdded, "eve", null)]
    [InlineData("useradd[1]", "new group: name=eve, GID=1001", EventActions.GroupAdded, null, "eve")]
    [InlineData("userdel[1]", "delete user 'eve'", EventActions.UserDeleted, "eve", null)]
    [InlineData("usermod[1]", "add 'eve' to group 'sudo'", EventActions.GroupMemberAdded, "eve", "sudo")]
    [InlineData("usermod[1]", "change user 'eve' password", EventActions.PasswordChanged, "eve", null)]
    [InlineData("groupadd[1]", "group added to /etc/group: name=ops, GID=1002", EventActions.GroupAdded, null, "ops")]
    [InlineData("groupdel[1]", "group 'ops' removed", EventActions.GroupDeleted, null, "ops")]
    [InlineData("gpasswd[1]", "user eve added by root to group wheel", EventActions.GroupMemberAdded, "eve", "wheel")]
    [InlineData("gpasswd[1]", "user eve removed by root from group wheel", EventActions.GroupMemberRemoved, "eve", "wheel")]
    [InlineData("passwd[1]", "pam_unix(passwd:chauthtok): password changed for eve", EventActions.PasswordChanged, "eve", null)]
    [InlineData("chpasswd[1]", "pam_unix(chpasswd:chauthtok): password changed for eve", EventActions.PasswordChanged, "eve", null)]
    [InlineData("chage[1]", "changed password expiry for eve", EventActions.UserChanged, "eve", null)]
    public void Parse_AccountTools_YieldIamActionWithTargetAndGroup(string tag, string message, string action, string? target, string? group)
    {
        var e = Parse(message, tag);
        Assert.Equal(action, e.Event.Action);
        Assert.Equal(EcsValues.Success, e.Event.Outcome);
        Assert.Equal(target, e.User?.Target?.Name);
        Assert.Equal(group, e.Group?.Name);
    }

    [Theory]
    [InlineData("audit: backlog limit exceeded", EventActions.AuditBacklogLimitExceeded)]
    [InlineData("[ 1234.567890] audit: audit_backlog=8193 > audit_backlog_limit=8192", EventActions.AuditBacklogLimitExceeded)]
    [InlineData("audit: audit_lost=17 audit_rate_limit=0 audit_backlog_limit=64", EventActions.AuditEventsLost)]
    public void Parse_KernelAuditLoss_YieldsFailureEvent(string message, string action)
    {
        var e = Parse(message, "kernel");
        Assert.Equal(action, e.Event.Action);
        Assert.Equal(EcsValues.Failure, e.Event.Outcome);
    }

    [Fact]
    public void TryParse_Rfc5424Line_ReadsHeaderStructuredDataAndMessage()
    {
        const string line = "<38>1 2026-03-10T08:30:00.123456Z eqmon-web01 sshd 3021 - [meta x=\"a]b\"] Failed password for root from 203.0.113.7 port 22 ssh2";
        Assert.True(SyslogHeaderParser.TryParse(line, AuthLines.Context, out var r));
        Assert.Equal(new DateTimeOffset(2026, 3, 10, 8, 30, 0, TimeSpan.Zero).AddTicks(1234560), r.Timestamp);
        Assert.Equal("eqmon-web01", r.Hostname.ToString());
        Assert.Equal("sshd", r.Program.ToString());
        Assert.Equal(3021, r.Pid);
        Assert.Equal("Failed password for root from 203.0.113.7 port 22 ssh2", r.Message.ToString());
    }

    [Fact]
    public void Parse_Rfc5424NilStructuredData_YieldsSshLogin()
    {
        var e = _parser.Parse(AuthLines.Line("<38>1 2026-03-10T08:30:00+01:00 h sshd 9 - - Invalid user x from 203.0.113.7 port 1"), AuthLines.Context);
        Assert.Equal(EventActions.SshLogin, e?.Event.Action);
        Assert.Equal(new DateTimeOffset(2026, 3, 10, 7, 30, 0, TimeSpan.Zero), e?.Timestamp);
    }

    [Fact]
    public void TryParse_Rfc3164WithPriority_UsesContextZoneAndYear()
    {
        var context = new BlueTeam.Parsing.ParseContext { Year = 2024, TimeZone = TimeZoneInfo.CreateCustomTimeZone("p5", TimeSpan.FromHours(5), "p5", "p5") };
        Assert.True(SyslogHeaderParser.TryParse("<86>Mar 10 08:30:00 h sshd[1]: x", context, out var r));
        Assert.Equal(new DateTimeOffset(2024, 3, 10, 3, 30, 0, TimeSpan.Zero), r.Timestamp.ToUniversalTime());
    }
}
