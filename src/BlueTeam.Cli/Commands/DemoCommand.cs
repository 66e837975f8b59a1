namespace BlueTeam.Cli.Commands;

/// <summary>
/// `blueteam demo`: writes a scripted attack into temporary logs and runs the real daemon on them
/// with a temporary SQLite store, so a newcomer sees alerts flow within seconds. Nothing on the
/// machine is read or changed outside the temporary directory.
/// </summary>
internal static class DemoCommand
{
    private static readonly Option<int> Seconds = new("--seconds") { Description = "How long the daemon runs after the attack (0 = until Ctrl+C)", DefaultValueFactory = _ => 8 };
    private static readonly Option<bool> NoDashboard = new("--no-dashboard") { Description = "Plain output instead of the live dashboard" };

    public static Command Build()
    {
        var cmd = new Command("demo", "Run the daemon on a scripted attack in temporary logs (nothing outside a temp directory is touched)") { Seconds, NoDashboard };
        cmd.SetAction(async (parse, ct) =>
        {
            var dir = Directory.CreateTempSubdirectory("blueteam-demo-").FullName;
            var configPath = Path.Combine(dir, "blueteam.yaml");
            await File.WriteAllTextAsync(configPath, DemoConfig(dir), ct).ConfigureAwait(false);
            Console.Out.WriteLine($"demo: logs, config and store in {SafeText.Inert(dir)}");
            AppServices app;
            try
            {
                app = AppServices.Load(configPath);
            }
            catch (ConfigException e)
            {
                CommandRunner.WriteConfigError(e); // a bug in the demo's own config
                return ExitCodes.ConfigError;
            }
            await using (app.ConfigureAwait(false))
            {
                using var stop = new CancellationTokenSource();
                var daemon = MonitorCommand.RunAsync(app, !parse.GetValue(NoDashboard) && MonitorCommand.CanDrawDashboard(), stop.Token);
                await AttackScript.PlayAsync(dir, ct).ConfigureAwait(false);
                var seconds = parse.GetValue(Seconds);
                if (seconds > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds(seconds), ct).ConfigureAwait(false);
                    await stop.CancelAsync().ConfigureAwait(false);
                }
                var exit = await daemon.ConfigureAwait(false);
                Console.Out.WriteLine($"demo: see the stored alerts with: blueteam --config {SafeText.Inert(configPath)} alerts list");
                return exit;
            }
        });
        return cmd;
    }

    private static string DemoConfig(string dir) => $$"""
        # Written by `blueteam demo`.
        host: demo-host
        database: {driver: sqlite, path: {{dir}}/blueteam.db}
        monitoring: {poll_interval_sec: 1}
        collectors:
          auth_log: {type: auth, paths: [{{dir}}/auth.log]}
          audit_log: {type: audit, paths: [{{dir}}/audit.log]}
          web_access: {type: access, paths: [{{dir}}/access.log]}
        correlation:
          rules:
            log_source_silent: {enabled: false}
        alerting:
          console: {enabled: true}
          syslog: {enabled: false}
          email: {enabled: false}
          routes:
            - match: {min_severity: low}
              channels: [console]
        """;

    /// <summary>The attack: each step is a few lines appended to a log, a moment apart.</summary>
    private static class AttackScript
    {
        private static readonly string[] SprayedUsers = ["admin", "oracle", "postgres", "test", "ubuntu", "deploy"];

        public static async Task PlayAsync(string dir, CancellationToken ct)
        {
            var auth = Path.Combine(dir, "auth.log");
            var audit = Path.Combine(dir, "audit.log");
            var access = Path.Combine(dir, "access.log");
            foreach (var f in new[] { auth, audit, access }) await File.WriteAllTextAsync(f, "", ct).ConfigureAwait(false);
            await Task.Delay(1500, ct).ConfigureAwait(false);

            var t = DateTime.Now;
            string H(int pid, string program = "sshd") => $"{t.ToString("MMM", CultureInfo.InvariantCulture)} {t.Day,2} {t:HH:mm:ss} demo-host {program}[{pid}]:";
            // 1. SSH brute force against root, then a password spray.
            await File.AppendAllLinesAsync(auth, Enumerable.Range(0, 8).Select(i => $"{H(4100 + i)} Failed password for root from 203.0.113.7 port {41000 + i} ssh2"), ct).ConfigureAwait(false);
            await Task.Delay(1000, ct).ConfigureAwait(false);
            await File.AppendAllLinesAsync(auth, SprayedUsers
                .Select((u, i) => $"{H(4200 + i)} Failed password for invalid user {u} from 198.51.100.66 port {52000 + i} ssh2"), ct).ConfigureAwait(false);
            await Task.Delay(1000, ct).ConfigureAwait(false);
            // 2. A user who may not sudo, then a backdoor account added to sudo.
            await File.AppendAllLinesAsync(auth, [
                $"{H(4300, "sudo")}  mallory : user NOT in sudoers ; TTY=pts/1 ; PWD=/home/mallory ; USER=root ; COMMAND=/bin/bash",
                $"{H(4301, "useradd")} new user: name=backdoor, UID=1337, GID=1337, home=/home/backdoor, shell=/bin/bash, from=/dev/pts/1",
                $"{H(4302, "usermod")} add 'backdoor' to group 'sudo'",
            ], ct).ConfigureAwait(false);
            await Task.Delay(1000, ct).ConfigureAwait(false);
            // 3. A web attack with a scanner's user agent.
            var web = t.ToUniversalTime().ToString("dd/MMM/yyyy:HH:mm:ss +0000", CultureInfo.InvariantCulture);
            await File.AppendAllLinesAsync(access, [
                $"203.0.113.50 - - [{web}] \"GET /index.php?id=1%27%20OR%20%271%27=%271 HTTP/1.1\" 200 512 \"-\" \"sqlmap/1.7.2#stable\"",
                $"203.0.113.50 - - [{web}] \"GET /../../etc/passwd HTTP/1.1\" 404 153 \"-\" \"sqlmap/1.7.2#stable\"",
            ], ct).ConfigureAwait(false);
            await Task.Delay(1000, ct).ConfigureAwait(false);
            // 4. Covering the tracks: the audit daemon is stopped.
            var epoch = DateTimeOffset.Now.ToUnixTimeMilliseconds() / 1000.0;
            await File.AppendAllLinesAsync(audit, [
                string.Create(CultureInfo.InvariantCulture, $"type=DAEMON_END msg=audit({epoch:F3}:4711): op=terminate auid=1337 uid=0 ses=4 pid=1 subj=unconfined res=success"),
            ], ct).ConfigureAwait(false);
        }
    }
}
