using BenchmarkDotNet.Attributes;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Parsing.App;
using BlueTeam.Parsing.Audit;
using BlueTeam.Parsing.Auth;
using BlueTeam.Parsing.Syslog;
using BlueTeam.Parsing.Web;
using BlueTeam.Sources;

namespace BlueTeam.Bench;

/// <summary>The syslog header every auth line passes through.</summary>
[MemoryDiagnoser]
public class SyslogHeaderBenchmarks
{
    [Benchmark(Baseline = true)] public bool Rfc3164() => SyslogHeaderParser.TryParse(Lines.SshFailed, Lines.Context, out _);
    [Benchmark] public bool Rfc3339() => SyslogHeaderParser.TryParse(Lines.Rfc3339, Lines.Context, out _);
    [Benchmark] public bool NotSyslog() => SyslogHeaderParser.TryParse(Lines.NotSyslog, Lines.Context, out _);
}

/// <summary>auth.log: the lines that become events, and the ones that must cost (and allocate) nothing.</summary>
[MemoryDiagnoser]
public class AuthLogParserBenchmarks
{
    private readonly AuthLogParser _parser = new();
    private readonly RawLine _failed = Lines.Raw(Lines.SshFailed, "auth");
    private readonly RawLine _invalid = Lines.Raw(Lines.SshInvalid, "auth");
    private readonly RawLine _closed = Lines.Raw(Lines.SshClosedPreauth, "auth");
    private readonly RawLine _pam = Lines.Raw(Lines.PamSession, "auth");
    private readonly RawLine _sudo = Lines.Raw(Lines.Sudo, "auth");
    private readonly RawLine _cron = Lines.Raw(Lines.CronCmd, "auth");
    private readonly RawLine _logind = Lines.Raw(Lines.Logind, "auth");
    private readonly RawLine _junk = Lines.Raw(Lines.NotSyslog, "auth");

    [Benchmark] public SecurityEvent? SshFailedPassword() => _parser.Parse(_failed, Lines.Context);
    [Benchmark] public SecurityEvent? SshInvalidUser() => _parser.Parse(_invalid, Lines.Context);
    [Benchmark] public SecurityEvent? SshClosedPreauth() => _parser.Parse(_closed, Lines.Context);
    [Benchmark] public SecurityEvent? PamSessionOpened() => _parser.Parse(_pam, Lines.Context);
    [Benchmark] public SecurityEvent? SudoCommand() => _parser.Parse(_sudo, Lines.Context);
    [Benchmark] public SecurityEvent? Unmatched_CronCmd() => _parser.Parse(_cron, Lines.Context);
    [Benchmark] public SecurityEvent? Unmatched_Logind() => _parser.Parse(_logind, Lines.Context);
    [Benchmark] public SecurityEvent? Unmatched_NotSyslog() => _parser.Parse(_junk, Lines.Context);
}

/// <summary>auditd: records are buffered until their event completes, so each call feeds a whole event.</summary>
[MemoryDiagnoser]
public class AuditLogParserBenchmarks
{
    private readonly AuditLogParser _parser = new();
    private readonly RawLine _syscall = Lines.Raw(Lines.AuditSyscall, "audit");
    private readonly RawLine _cwd = Lines.Raw(Lines.AuditCwd, "audit");
    private readonly RawLine _login = Lines.Raw(Lines.AuditUserLogin, "audit");

    // The kernel event audit.log is mostly made of (bench/genlogs.py writes the same): five records, ended by PROCTITLE.
    private readonly RawLine[] _exec =
    [
        Lines.Raw("type=SYSCALL msg=audit(1772323200.639:1001): arch=c000003e syscall=59 success=yes exit=0 a0=55d1 a1=55d2 a2=55d3 a3=0 items=2 ppid=1 pid=1001 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=4 comm=\"cat\" exe=\"/usr/bin/cat\" key=\"cui_read\"", "audit"),
        Lines.Raw("type=EXECVE msg=audit(1772323200.639:1001): argc=2 a0=\"cat\" a1=\"/etc/hosts\"", "audit"),
        Lines.Raw("type=CWD msg=audit(1772323200.639:1001): cwd=\"/root\"", "audit"),
        Lines.Raw("type=PATH msg=audit(1772323200.639:1001): item=0 name=\"/usr/bin/cat\" inode=1 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL", "audit"),
        Lines.Raw("type=PROCTITLE msg=audit(1772323200.639:1001): proctitle=636174002F6574632F686F737473", "audit"),
    ];

    [Benchmark] public SecurityEvent? UserLogin() => _parser.Parse(_login, Lines.Context) ?? _parser.TakeCompleted();

    [Benchmark]
    public SecurityEvent? ExecEventFiveRecords()
    {
        SecurityEvent? last = null;
        foreach (var line in _exec) last = _parser.Parse(line, Lines.Context) ?? last;
        return last;
    }

    [Benchmark]
    public SecurityEvent? SyscallWithCwd()
    {
        _parser.Parse(_syscall, Lines.Context);
        _parser.Parse(_cwd, Lines.Context);
        _parser.Flush();
        return _parser.TakeCompleted();
    }
}

[MemoryDiagnoser]
public class AccessLogParserBenchmarks
{
    private readonly AccessLogParser _parser = new();
    private readonly RawLine _ok = Lines.Raw(Lines.Access200, "access");
    private readonly RawLine _probe = Lines.Raw(Lines.Access404Probe, "access");
    private readonly RawLine _junk = Lines.Raw(Lines.NotSyslog, "access");

    [Benchmark] public SecurityEvent? Ordinary200() => _parser.Parse(_ok, Lines.Context);
    [Benchmark] public SecurityEvent? Probe404() => _parser.Parse(_probe, Lines.Context);
    [Benchmark] public SecurityEvent? Unmatched_NotAccessLog() => _parser.Parse(_junk, Lines.Context);
}

[MemoryDiagnoser]
public class AppJsonParserBenchmarks
{
    private readonly AppJsonParser _parser = new();
    private readonly RawLine _json = Lines.Raw(Lines.AppJson, "json");
    private readonly RawLine _junk = Lines.Raw(Lines.NotSyslog, "json");

    [Benchmark] public SecurityEvent? LoginFailed() => _parser.Parse(_json, Lines.Context);
    [Benchmark] public SecurityEvent? Unmatched_NotJson() => _parser.Parse(_junk, Lines.Context);
}
