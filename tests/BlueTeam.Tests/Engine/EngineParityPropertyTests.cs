using System.Globalization;
using System.Text;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Correlation;
using BlueTeam.Correlation.State;
using BlueTeam.Engine;
using BlueTeam.Parsing;
using BlueTeam.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.Time.Testing;

namespace BlueTeam.Tests.Engine;

/// <summary>
/// One engine: over generated auth and audit logs (brute forces, sprays, logins, sudo, noise, garbage, and auditd
/// events of one to three records), the pipeline driven as `scan` drives it (two threads, files in turn; and one loop, as on one core) and as the
/// daemon drives it (its worker: queued lines, batched raise, the real alert engine, checkpoints) ends with the same
/// incidents in the same final states.
/// </summary>
public class EngineParityPropertyTests
{
    private static readonly DateTimeOffset Now = new(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTime Start = new(2026, 3, 10, 8, 0, 0);
    private static readonly string[] Ips = ["203.0.113.7", "203.0.113.8", "198.51.100.66", "192.0.2.10", "2001:db8::5"];
    private static readonly string[] Users = ["root", "admin", "oracle", "deploy", "test", "ubuntu", "pi"];

    private static BlueTeamConfig Config() => new()
    {
        Host = "parity-host",
        Collectors = new()
        {
            ["auth_log"] = new CollectorOptions { Type = "auth", Paths = ["/logs/auth.log"], TimeZone = "UTC" },
            ["audit_log"] = new CollectorOptions { Type = "audit", Paths = ["/logs/audit.log"], TimeZone = "UTC" },
        },
    };

    [Fact]
    public void ScanAndDaemon_GeneratedLogs_SameIncidents()
    {
        var step = from gap in Gen.Choose(0, 90)
                   from kind in Gen.Choose(0, 9)
                   from ip in Gen.Choose(0, Ips.Length - 1)
                   from user in Gen.Choose(0, Users.Length - 1)
                   from noise in Gen.Elements("x", "garbage \u0000 line", "{\"not\":\"auth\"}", "Mar 10 08:00:00", "type=SYSCALL msg=audit(")
                   select new Step(gap, kind, ip, user, noise);
        var logs = from auth in Gen.ArrayOf(step)
                   from audit in Gen.ArrayOf(step)
                   select new Logs([.. AuthLog(auth)], [.. AuditLog(audit)]);
        Prop.ForAll(logs.ToArbitrary(), l => SameIncidents(l).GetAwaiter().GetResult())
            .Check(FsCheck.Config.QuickThrowOnFailure.WithMaxTest(60));
    }

    private sealed record Step(int Gap, int Kind, int Ip, int User, string Noise);

    private sealed record Logs(string[] Auth, string[] Audit)
    {
        public override string ToString() => $"auth.log:\n{string.Join('\n', Auth)}\naudit.log:\n{string.Join('\n', Audit)}";
    }

    private static async Task<bool> SameIncidents(Logs logs)
    {
        var config = Config();
        var time = new FakeTimeProvider(Now);
        IReadOnlyList<IRule> Rules() => RuleCatalog.Build(config.Correlation, new RuleContext { Host = config.Host, Time = time });

        // scan: the files in turn, read and parsed on one thread, correlated on another
        var scanPipeline = new DetectionPipeline(ParserRegistry.CreateDefault(), new Correlator(Rules()));
        var scanned = await FileScan.RunAsync(scanPipeline, [File("auth_log", logs.Auth, config), File("audit_log", logs.Audit, config)], null, null, CancellationToken.None,
            twoThreads: true);

        // scan on one core: one loop reads, parses and correlates; the same incidents, whole, in the same order
        var singlePipeline = new DetectionPipeline(ParserRegistry.CreateDefault(), new Correlator(Rules()));
        var single = await FileScan.RunAsync(singlePipeline, [File("auth_log", logs.Auth, config), File("audit_log", logs.Audit, config)], null, null, CancellationToken.None,
            twoThreads: false);
        Assert.Equal((scanned.Lines, scanned.Events), (single.Lines, single.Events));
        Assert.Equal(scanned.Incidents.Select(u => EcsJson.Serialize(u.ToIncident())), single.Incidents.Select(u => EcsJson.Serialize(u.ToIncident())));

        // the daemon: the same lines through its queue, worker, alert engine and store
        var rig = new DaemonPipelineRig(config, Rules(), time);
        await rig.StartAsync();
        foreach (var line in DaemonPipelineRig.Lines("auth_log", "auth", "/logs/auth.log", logs.Auth)) await rig.WriteAsync(line);
        foreach (var line in DaemonPipelineRig.Lines("audit_log", "audit", "/logs/audit.log", logs.Audit)) await rig.WriteAsync(line);
        await rig.DrainAsync();

        var fromScan = scanned.Incidents.Select(u => Final(u.ToIncident())).Order(StringComparer.Ordinal).ToList();
        var fromDaemon = ((InMemoryAlertStore)rig.Store).Alerts.Select(a => Final(a.Incident)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(fromScan, fromDaemon);
        return true;
    }

    private static string Final(SecurityIncident i) =>
        string.Create(CultureInfo.InvariantCulture, $"{i.Rule.Name} {i.Fingerprint} {i.Severity} events={i.EventCount} {i.FirstSeen:O}..{i.LastSeen:O}");

    private static LogFile File(string collector, string[] lines, BlueTeamConfig config)
    {
        var bytes = Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\n")));
        var options = config.Collectors[collector];
        return new LogFile(options.Paths[0], bytes.Length, options.Type, ParseContexts.For(options, config, Now), () => new MemoryStream(bytes));
    }

    private static IEnumerable<string> AuthLog(Step[] steps)
    {
        var t = Start;
        var pid = 3000;
        foreach (var s in steps)
        {
            t = t.AddSeconds(s.Gap);
            var h = AuthLogLines.Header(t, "sshd", pid++);
            var ip = Ips[s.Ip];
            var user = Users[s.User];
            yield return s.Kind switch
            {
                0 or 1 or 2 => $"{h} Failed password for {user} from {ip} port {40000 + pid} ssh2",
                3 => $"{h} Failed password for invalid user {user} from {ip} port {40000 + pid} ssh2",
                4 => $"{h} Accepted password for {user} from {ip} port {40000 + pid} ssh2",
                5 => $"{AuthLogLines.Header(t, "sudo", pid)}  {user} : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/{user} ; USER=root ; COMMAND=/bin/bash",
                6 => $"{AuthLogLines.Header(t, "sudo", pid)}  {user} : user NOT in sudoers ; TTY=pts/1 ; PWD=/home/{user} ; USER=root ; COMMAND=/bin/sh",
                7 => AuthLogLines.Cron(t),
                8 => $"{h} Connection closed by authenticating user {user} {ip} port {40000 + pid} [preauth]",
                _ => s.Noise,
            };
        }
    }

    private static IEnumerable<string> AuditLog(Step[] steps)
    {
        var t = new DateTimeOffset(Start, TimeSpan.Zero).ToUnixTimeSeconds();
        var serial = 500;
        foreach (var s in steps)
        {
            t += s.Gap;
            var stamp = string.Create(CultureInfo.InvariantCulture, $"audit({t}.{s.Gap:D3}:{serial++})");
            var user = Users[s.User];
            switch (s.Kind)
            {
                case 0 or 1:
                    // An execve: three records of one event, complete only when the next serial (or the end) comes.
                    yield return $"type=SYSCALL msg={stamp}: arch=c000003e syscall=59 success=yes exit=0 pid={4000 + serial} auid=1000 uid=0 comm=\"id\" exe=\"/usr/bin/id\"";
                    yield return $"type=EXECVE msg={stamp}: argc=1 a0=\"id\"";
                    if (s.Kind == 0) yield return $"type=PROCTITLE msg={stamp}: proctitle=6964";
                    break;
                case 2 or 3:
                    yield return $"type=ADD_USER msg={stamp}: pid={4000 + serial} uid=0 auid=1000 msg='op=adding user acct=\"{user}\" exe=\"/usr/sbin/useradd\" res=success'";
                    break;
                case 4:
                    yield return $"type=DEL_USER msg={stamp}: pid={4000 + serial} uid=0 auid=1000 msg='op=deleting user acct=\"{user}\" exe=\"/usr/sbin/userdel\" res=success'";
                    break;
                case 5:
                    yield return $"type=CONFIG_CHANGE msg={stamp}: auid=1000 ses=1 op=remove_rule key=\"cui\" list=4 res=1";
                    break;
                case 6:
                    yield return $"type=USER_AUTH msg={stamp}: pid={4000 + serial} uid=0 auid=4294967295 ses=4294967295 msg='op=PAM:authentication grantors=? acct=\"{user}\" exe=\"/usr/sbin/sshd\" hostname={Ips[s.Ip]} addr={Ips[s.Ip]} terminal=ssh res=failed'";
                    break;
                case 7:
                    yield return $"type=DAEMON_END msg={stamp}: op=terminate auid=0 uid=0 ses=4 pid=1 subj=unconfined res=success";
                    break;
                default:
                    yield return s.Noise;
                    break;
            }
        }
    }
}
