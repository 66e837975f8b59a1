using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BlueTeam.Alerting.Channels;
using BlueTeam.Tests.Reliability;
using BlueTeam.Tests.Support;
using Xunit.Abstractions;

namespace BlueTeam.Tests.Security;

/// <summary>
/// One injection corpus (CR and header lines, ANSI CSI and OSC incl. OSC 8 and OSC 52, Spectre
/// markup, bidi overrides, syslog framing and octet counts, SQL quotes, HTML, NUL, a 100 KB field)
/// put into the user names of real failed SSH logins that the real daemon reads, with a rule file
/// that makes every distinct user name one incident whose title and description carry it. Then:
/// the real peers (aiosmtpd, rsyslog over TCP or UDP, the webhook server), the file channel and
/// the console channel, and every CLI listing, are checked on raw bytes: one record per alert, no
/// forged header or record, no raw ESC, BEL, CR, NUL or bidi control.
/// </summary>
[Trait("Category", "Fault")]
public sealed class InjectionCorpusEndToEndTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly ITestOutputHelper _output;

    public InjectionCorpusEndToEndTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => _dir.Dispose();

    public static readonly string[] Corpus =
    [
        "eve\rBcc: victim@evil.example\rX-Injected: yes",
        "csi\u001b[31mRED\u001b[0m\u001b[2J\u001b[H",
        "osc8\u001b]8;;https://evil.example/\u0007click\u001b]8;;\u0007",
        "osc52\u001b]52;c;ZWNobyBwd25lZA==\u0007",
        "markup[red]alarm[/][link=https://evil.example]x[/]",
        "bidi admin\u202Etxt.exe\u2066x\u2069",
        "<13>1 2026-01-01T00:00:00Z forged forged - - - FORGED_RECORD",
        "42 <13>1 - forged - - - FORGED_OCTET",
        "sql'; DROP TABLE alerts; --",
        "html<script>alert(1)</script>",
        "nul\0byte",
        "big" + new string('A', 100_000),
    ];

    /// <summary>Raw bytes that must never reach a terminal, a mail header or a record boundary.</summary>
    private static readonly (string Name, byte[] Bytes)[] Forbidden =
    [
        ("ESC", [0x1b]), ("BEL", [0x07]), ("NUL", [0x00]), ("CR", [0x0d]),
        ("U+202E", Encoding.UTF8.GetBytes("\u202E")), ("U+2066", Encoding.UTF8.GetBytes("\u2066")), ("U+2069", Encoding.UTF8.GetBytes("\u2069")),
    ];

    private static void AssertInert(string where, byte[] raw)
    {
        foreach (var (name, bytes) in Forbidden)
            Assert.True(raw.AsSpan().IndexOf(bytes) < 0, $"{where}: raw {name} in the output");
    }

    private static void AssertInert(string where, string text) => AssertInert(where, Encoding.UTF8.GetBytes(text));

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task Monitor_CorpusInUserNames_EveryChannelAndListingInert(string syslogTransport)
    {
        using var smtp = new SmtpServerFixture();
        using var syslog = new SyslogServerFixture();
        using var webhook = new WebhookTestServer();
        var secret = "whsec-" + Guid.NewGuid().ToString("N");
        var log = _dir.File("auth.log");
        var rulesDir = Path.Combine(_dir.Path, "rules");
        Directory.CreateDirectory(rulesDir);
        await File.WriteAllTextAsync(Path.Combine(rulesDir, "user_login_failure.yaml"), """
            id: BT-TEST-901
            name: user_login_failure
            title: Failed SSH login per user
            description: "a failed SSH login for one user name"
            severity: high
            nist_controls: ["3.14.6"]
            kind: threshold
            threshold: 1
            window_sec: 300
            match:
              event.action: ssh_login
              event.outcome: failure
            group_by: [user.name]
            incident_title: "Failed login for {user.name}"
            incident_description: "{count} failed SSH logins for {user.name} from {source.address}"
            """);
        var fileOut = _dir.File("alerts.jsonl");
        var config = _dir.File("blueteam.yaml");
        var quiet = string.Join("\n", FaultRig.QuietRules.Append("ssh_brute_force").Select(r => $"    {r}: {{enabled: false}}"));
        await File.WriteAllTextAsync(config, $$"""
            host: injection-e2e
            database: {driver: sqlite, path: {{_dir.File("blueteam.db")}}}
            monitoring: {poll_interval_sec: 1}
            correlation:
              rules_dir: {{rulesDir}}
              rules:
            {{quiet}}
            collectors:
              auth_log: {type: auth, paths: [{{log}}]}
            alerting:
              # The corpus is written before the first start with past timestamps; each line must reach every channel on its own.
              first_start_digest: false
              console: {enabled: true}
              # One syslog record per incident is counted below: the chain-head announcements (on by default) go elsewhere here.
              syslog: {enabled: true, transport: {{syslogTransport}}, server: 127.0.0.1, port: {{(syslogTransport == "udp" ? syslog.UdpPort : syslog.TcpPort)}}, send_chain_head: false}
              email: {enabled: true, smtp_host: 127.0.0.1, smtp_port: {{smtp.Port}}, tls: none, from_address: blueteam@example.test, recipients: [soc@example.test]}
              webhook: {enabled: true, url: "{{webhook.Url()}}", secret: {{secret}}}
              file: {enabled: true, path: {{fileOut}}}
              count_step_factor: 1000
              routing: {critical: [console, syslog, email, webhook, file], high: [console, syslog, email, webhook, file], medium: [console, syslog, email, webhook, file], low: [console, syslog, email, webhook, file], info: [console, syslog, email, webhook, file]}
            """);
        var t = DateTime.Now.AddDays(-2).Date.AddHours(3);
        var lines = Corpus.Select((user, i) => $"{AuthLogLines.Header(t.AddSeconds(i), "sshd", 4000 + i)} Failed password for invalid user {user} from 203.0.113.{i + 1} port {40000 + i} ssh2");
        await File.WriteAllTextAsync(log, string.Join("\n", lines) + "\n", new UTF8Encoding(false));

        using var daemon = BlueTeamProcess.Start(["--config", config, "monitor"]);
        await daemon.WaitForOutputAsync("Blue Team Monitor Started", TimeSpan.FromSeconds(30));
        List<JsonElement> alerts = [];
        await FaultRig.WaitUntilAsync(async () => (alerts = await FaultRig.AlertsAsync(config)).Count >= Corpus.Length - 1, TimeSpan.FromSeconds(30),
            () => $"{alerts.Count} incidents stored\n{daemon.Stderr}");
        await Task.Delay(1500); // a late extra incident would land now
        alerts = await FaultRig.AlertsAsync(config);
        var n = alerts.Count;
        _output.WriteLine($"{Corpus.Length} corpus lines, {n} incidents: {string.Join(" | ", alerts.Select(a => a.GetProperty("title").GetString()![..Math.Min(60, a.GetProperty("title").GetString()!.Length)]))}");
        Assert.All(alerts, a => Assert.Equal("user_login_failure", a.GetProperty("rule_name").GetString()));

        // Every channel delivered once per alert.
        await FaultRig.WaitUntilAsync(() => Task.FromResult(FaultRig.FileDeliveries(fileOut).Count == n && webhook.Requests.Count >= n
                && Directory.EnumerateFiles(smtp.MaildirPath, "*", SearchOption.AllDirectories).Count() >= n
                && File.Exists(syslog.OutputPath) && File.ReadAllLines(syslog.OutputPath).Length >= n),
            TimeSpan.FromSeconds(40), () => $"deliveries incomplete: file {FaultRig.FileDeliveries(fileOut).Count}, webhook {webhook.Requests.Count}, mail {Directory.EnumerateFiles(smtp.MaildirPath, "*", SearchOption.AllDirectories).Count()} of {n}\n{daemon.Stderr}");
        await Task.Delay(1000);

        // File: one JSON line per incident, inert bytes.
        var fileBytes = await File.ReadAllBytesAsync(fileOut);
        AssertInert("file channel", fileBytes);
        var fileLines = File.ReadAllLines(fileOut).Where(l => l.Length > 0).ToList();
        Assert.Equal(n, fileLines.Count);
        Assert.All(fileLines, l => JsonDocument.Parse(l).Dispose());

        // Webhook: valid JSON, valid signature, one per alert.
        Assert.Equal(n, webhook.Requests.Count);
        foreach (var r in webhook.Requests)
        {
            JsonDocument.Parse(r.Body).Dispose();
            var sig = r.Headers.First(h => h.Key.Equals(WebhookChannel.SignatureHeader, StringComparison.OrdinalIgnoreCase)).Value;
            Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), r.Body)), sig);
        }

        // Mail: one message per alert, exactly one Subject, no injected header, header bytes inert.
        var mails = Directory.EnumerateFiles(smtp.MaildirPath, "*", SearchOption.AllDirectories).ToList();
        Assert.Equal(n, mails.Count);
        foreach (var mail in mails)
        {
            var raw = await File.ReadAllBytesAsync(mail);
            var headerEnd = raw.AsSpan().IndexOf("\r\n\r\n"u8) is var h and >= 0 ? h : raw.AsSpan().IndexOf("\n\n"u8);
            var header = Encoding.UTF8.GetString(raw, 0, headerEnd);
            var headerLines = header.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
            Assert.Single(headerLines, l => l.StartsWith("Subject:", StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain(headerLines, l => l.StartsWith("Bcc:", StringComparison.OrdinalIgnoreCase) || l.StartsWith("X-Injected", StringComparison.OrdinalIgnoreCase));
            AssertInert("mail header " + mail, Encoding.UTF8.GetBytes(header.Replace("\r\n", "\n", StringComparison.Ordinal)));
        }

        // rsyslog: one record per alert, every record from blueteam (none forged).
        var records = File.ReadAllLines(syslog.OutputPath).Where(l => l.Length > 0).ToList();
        Assert.Equal(n, records.Count);
        Assert.All(records, r => Assert.Equal("blueteam", r.Split(' ')[2]));
        Assert.DoesNotContain(records, r => r.Split(' ')[3] != "incident");

        // Every CLI listing prints it inert (while the daemon runs: `status` fails on a stopped one).
        var id = alerts[0].GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);
        string[][] listings =
        [
            ["alerts", "list"], ["alerts", "list", "--format", "json"], ["alerts", "show", id],
            ["incidents", "list"], ["status"],
            ["report", "--format", "markdown"], ["report", "--format", "html"],
            ["rules", "test", "user_login_failure", log, "--type", "auth"],
        ];
        foreach (var args in listings)
        {
            var (exit, stdout, stderr) = await BlueTeamProcess.RunAsync(["--config", config, .. args]);
            var what = string.Join(' ', args);
            Assert.True(exit == 0, $"{what}: exit {exit}\n{stderr}");
            AssertInert(what, stdout);
            AssertInert(what + " (stderr)", stderr);
            if (what.Contains("html", StringComparison.Ordinal)) Assert.DoesNotContain("<script>alert(1)", stdout, StringComparison.Ordinal);
            if (what.EndsWith("json", StringComparison.Ordinal)) JsonDocument.Parse(stdout).Dispose();
        }

        daemon.Signal(BlueTeamProcess.SIGTERM);
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        AssertInert("console channel (daemon stdout)", daemon.Stdout);
        AssertInert("daemon stderr", daemon.Stderr);
    }
}
