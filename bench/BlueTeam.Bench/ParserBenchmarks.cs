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
    private readonly RawLine _failed = Lines.Raw(Lines.SshFailed, CollectorType.Auth);
    private readonly RawLine _invalid = Lines.Raw(Lines.SshInvalid, CollectorType.Auth);
    private readonly RawLine _closed = Lines.Raw(Lines.SshClosedPreauth, CollectorType.Auth);
    private readonly RawLine _pam = Lines.Raw(Lines.PamSession, CollectorType.Auth);
    private readonly RawLine _sudo = Lines.Raw(Lines.Sudo, CollectorType.Auth);
    private readonly RawLine _cron = Lines.Raw(Lines.CronCmd, CollectorType.Auth);
    private readonly RawLine _logind = Lines.Raw(Lines.Logind, CollectorType.Auth);
    private readonly RawLine _junk = Lines.Raw(Lines.NotSyslog, CollectorType.Auth);

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
    private readonly RawLine _syscall = Lines.Raw(Lines.AuditSyscall, CollectorType.Audit);
    private readonly RawLine _cwd = Lines.Raw(Lines.AuditCwd, CollectorType.Audit);
    private readonly RawLine _login = Lines.Raw(Lines.AuditUserLogin, CollectorType.Audit);

    [Benchmark] public SecurityEvent? UserLogin() => _parser.Parse(_login, Lines.Context) ?? _parser.TakeCompleted();

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
    private readonly RawLine _ok = Lines.Raw(Lines.Access200, CollectorType.Access);
    private readonly RawLine _probe = Lines.Raw(Lines.Access404Probe, CollectorType.Access);
    private readonly RawLine _junk = Lines.Raw(Lines.NotSyslog, CollectorType.Access);

    [Benchmark] public SecurityEvent? Ordinary200() => _parser.Parse(_ok, Lines.Context);
    [Benchmark] public SecurityEvent? Probe404() => _parser.Parse(_probe, Lines.Context);
    [Benchmark] public SecurityEvent? Unmatched_NotAccessLog() => _parser.Parse(_junk, Lines.Context);
}

[MemoryDiagnoser]
public class AppJsonParserBenchmarks
{
    private readonly AppJsonParser _parser = new();
    private readonly RawLine _json = Lines.Raw(Lines.AppJson, CollectorType.Json);
    private readonly RawLine _junk = Lines.Raw(Lines.NotSyslog, CollectorType.Json);

    [Benchmark] public SecurityEvent? LoginFailed() => _parser.Parse(_json, Lines.Context);
    [Benchmark] public SecurityEvent? Unmatched_NotJson() => _parser.Parse(_junk, Lines.Context);
}
