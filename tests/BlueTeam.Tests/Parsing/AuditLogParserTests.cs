using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Parsing;
using BlueTeam.Parsing.Audit;
using BlueTeam.Sources;

namespace BlueTeam.Tests.Parsing;

public class AuditLogParserTests
{
    private static RawLine Line(string text, long offset = 0) => new() { Collector = "audit", Type = "audit", Path = "/var/log/audit/audit.log", Text = text, Offset = offset };

    private static List<SecurityEvent> ParseAll(ParserRegistry registry, params string[] lines)
    {
        var events = new List<SecurityEvent>();
        for (var i = 0; i < lines.Length; i++) events.AddRange(registry.ParseAll(Line(lines[i], i), AuthLines.Context));
        return events;
    }

    [Fact]
    public void ParseAll_SyscallExecvePathProctitle_OneExecEventWithArgsAndFile()
    {
        var registry = ParserRegistry.CreateDefault();
        var events = ParseAll(registry,
            "type=SYSCALL msg=audit(1700000000.100:500): arch=c000003e syscall=59 success=yes exit=0 items=1 ppid=1 pid=4242 auid=1000 uid=0 euid=0 tty=pts0 comm=\"cat\" exe=\"/usr/bin/cat\" key=\"cui_read\"",
            "type=EXECVE msg=audit(1700000000.100:500): argc=2 a0=\"cat\" a1=2F6574632F736861646F77",
            "type=PATH msg=audit(1700000000.100:500): item=0 name=\"/etc/shadow\" inode=1 nametype=NORMAL",
            "type=PROCTITLE msg=audit(1700000000.100:500): proctitle=636174002F6574632F736861646F77");
        var e = Assert.Single(events);
        Assert.Equal(EventActions.AuditExecve, e.Event.Action);
        Assert.Equal(EcsValues.Success, e.Event.Outcome);
        Assert.Equal(["cat", "/etc/shadow"], e.Process?.Args);
        Assert.Equal("cat /etc/shadow", e.Process?.CommandLine);
        Assert.Equal("/etc/shadow", e.File?.Path);
        Assert.Equal(4242, e.Process?.Pid);
        Assert.Equal("cui_read", e.Labels?[AuditLogParser.KeyLabel]);
        Assert.Equal("SYSCALL,EXECVE,PATH,PROCTITLE", e.Labels?[AuditLogParser.RecordTypesLabel]);
    }

    [Fact]
    public void ParseAll_InterleavedEventsWithoutProctitle_CompleteOnFlushInOrder()
    {
        var registry = ParserRegistry.CreateDefault();
        var events = ParseAll(registry,
            "type=SYSCALL msg=audit(1700000000.100:1): arch=c000003e syscall=2 success=no exit=-13 pid=1 comm=\"a\"",
            "type=SYSCALL msg=audit(1700000000.100:2): arch=c000003e syscall=2 success=yes exit=3 pid=2 comm=\"b\"",
            "type=PATH msg=audit(1700000000.100:1): item=0 name=\"/secret\"",
            "type=CWD msg=audit(1700000000.100:2): cwd=\"/tmp\"");
        Assert.Empty(events);
        var flushed = registry.Flush().ToList();
        Assert.Equal(2, flushed.Count);
        Assert.Equal(EcsValues.Failure, flushed[0].Event.Outcome);
        Assert.Equal("/secret", flushed[0].File?.Path);
        Assert.Equal("/tmp", flushed[1].Process?.WorkingDirectory);
    }

    [Fact]
    public void ParseAll_LaterRecordBeyondTimeout_CompletesEarlierEvent()
    {
        var registry = ParserRegistry.CreateDefault();
        var events = ParseAll(registry,
            "type=SYSCALL msg=audit(1700000000.100:1): arch=c000003e syscall=2 success=yes exit=3 pid=1",
            "type=SYSCALL msg=audit(1700000005.000:2): arch=c000003e syscall=2 success=yes exit=3 pid=2");
        Assert.Equal("1", Assert.Single(events).Labels?[AuditLogParser.SerialLabel]);
    }

    [Theory]
    [InlineData("type=USER_AUTH msg=audit(1700000000.1:7): pid=1 uid=0 auid=1000 ses=1 msg='op=PAM:authentication grantors=? acct=\"bob\" exe=\"/usr/sbin/sshd\" hostname=203.0.113.7 addr=203.0.113.7 terminal=ssh res=failed'", EventActions.AuditUserAuth, EcsValues.Failure)]
    [InlineData("type=DAEMON_END msg=audit(1700000000.1:7): auditd normal halt, sending auid=0 pid=1 subj= res=success", EventActions.AuditDaemonEnd, EcsValues.Success)]
    [InlineData("type=DAEMON_END msg=audit(1700000000.1:7): op=terminate auid=0 uid=0 ses=4294967295 pid=1 subj=unconfined res=success", EventActions.AuditDaemonEnd, EcsValues.Success)]
    [InlineData("type=DAEMON_ABORT msg=audit(1700000000.1:7): op=abort auid=0 pid=1 res=failed", EventActions.AuditDaemonAbort, EcsValues.Failure)]
    [InlineData("type=CONFIG_CHANGE msg=audit(1700000000.1:7): auid=1000 ses=1 op=remove_rule key=\"cui\" list=4 res=1", EventActions.AuditConfigChange, EcsValues.Success)]
    [InlineData("type=ADD_USER msg=audit(1700000000.1:7): pid=1 uid=0 auid=1000 msg='op=adding user acct=\"eve\" exe=\"/usr/sbin/useradd\" res=success'", EventActions.AuditAddUser, EcsValues.Success)]
    public void ParseAll_SingleRecordEvent_YieldsActionAndOutcome(string line, string action, string outcome)
    {
        var registry = ParserRegistry.CreateDefault();
        var e = Assert.Single(registry.ParseAll(Line(line), AuthLines.Context).Concat(registry.Flush()).ToList());
        Assert.Equal(action, e?.Event.Action);
        Assert.Equal(outcome, e?.Event.Outcome);
    }

    [Fact]
    public void Parse_UserAuthFailure_CarriesAccountAndSource()
    {
        var e = new AuditLogParser().Parse(Line("node=web01 type=USER_AUTH msg=audit(1700000000.1:7): pid=1 uid=0 auid=4294967295 ses=1 msg='op=PAM:authentication acct=\"bob\" exe=\"/usr/sbin/sshd\" hostname=203.0.113.7 addr=203.0.113.7 terminal=ssh res=failed'"), AuthLines.Context);
        Assert.Equal("bob", e?.User?.Name);
        Assert.Equal("203.0.113.7", e?.Source?.Ip);
        Assert.Equal("web01", e?.Host?.Hostname);
        Assert.Equal("/usr/sbin/sshd", e?.Process?.Executable);
    }

    [Fact]
    public void TryParse_EnrichedRecord_KeepsInterpretedFieldsSeparately()
    {
        var r = AuditRecordParser.TryParse("type=SYSCALL msg=audit(1700000000.100:9): arch=c000003e syscall=59 success=yes auid=1000 uid=0\u001dARCH=x86_64 SYSCALL=execve AUID=\"alice\" UID=\"root\"");
        Assert.NotNull(r);
        Assert.Equal("alice", r.Interpreted["AUID"]);
        Assert.Equal("0", r.Get("uid"));
        var e = AuditLogParser.ToSecurityEvent(new AuditEvent { Serial = 9, Records = { } } is var ae ? Add(ae, r) : ae, AuthLines.Context);
        Assert.Equal("root", e.User?.Name);
        Assert.Equal("alice", e.Labels?[AuditLogParser.AuidLabel]);
    }

    private static AuditEvent Add(AuditEvent e, AuditRecord r)
    {
        e.Records.Add(r);
        return e;
    }

    [Theory]
    [InlineData("type=")]
    [InlineData("type=SYSCALL msg=audit(")]
    [InlineData("type=SYSCALL msg=audit(abc:def): x=1")]
    [InlineData("type=SYSCALL msg=audit(99999999999999999999.1:1): x=1")]
    [InlineData("node= type=X msg=audit(1.1:1):")]
    [InlineData("type=EXECVE msg=audit(1.1:1): argc=999999999 a0=ZZ a1=\"unterminated")]
    public void Parse_MalformedRecords_NeverThrow(string line)
    {
        var registry = ParserRegistry.CreateDefault();
        _ = registry.ParseAll(Line(line), AuthLines.Context).ToList();
        _ = registry.Flush().ToList();
    }

    [Fact]
    public void Add_MoreEventsThanBuffer_EvictsOldestAndCountsIt()
    {
        var assembler = new AuditEventAssembler(maxPendingEvents: 4);
        for (var i = 0; i < 10; i++)
            assembler.Add(AuditRecordParser.TryParse($"type=SYSCALL msg=audit(1700000000.100:{i}): syscall=2")!, "f");
        Assert.Equal(4, assembler.PendingCount);
        Assert.Equal(6, assembler.Evicted);
    }
}
