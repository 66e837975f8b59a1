using System.Text.RegularExpressions;
using BlueTeam.Alerting;
using BlueTeam.Core.Events;

namespace BlueTeam.Tests.Cli;

// blueteam report, and untrusted text staying inert in every output format
public abstract partial class EverydayCliEndToEndTests
{
    // ANSI colour and OSC title sequences, Spectre markup, CR/LF, a Markdown pipe and HTML.
    private const string HostileTitle = "\u001b[31mRED\u001b]0;pwned\u0007 [bold red]x[/] line1\r\nline2 | col <script>alert(1)</script>";
    private const string HostileUser = "root\u001b[2J|[red]admin[/]\r\n";

    [Fact]
    public async Task Report_Markdown_SummarisesThePeriodByControlSeverityRuleSourceUserAndChannel()
    {
        var a = await SaveAsync(Recent("fp-rep-1", TimeSpan.FromHours(1), Severity.High), ThisHost, "email", "syslog");
        await SaveAsync(Recent("fp-rep-2", TimeSpan.FromHours(2), Severity.Critical, sourceIp: "198.51.100.9", userName: "deploy"), ThisHost, "email");
        await SaveAsync(Recent("fp-rep-3", TimeSpan.FromHours(3), Severity.Low, ruleName: "sudo_abuse"), OtherHost, "syslog");
        await SaveAsync(Recent("fp-rep-old", TimeSpan.FromDays(40), Severity.Critical, ruleName: "too_old_rule"));
        var ds = await Store.GetDeliveriesAsync(a, CancellationToken.None);
        await Store.RecordDeliveryAttemptAsync(ds.Single(d => d.Channel == "email").Id, DeliveryStatus.Delivered, null, DateTimeOffset.UtcNow, null, CancellationToken.None);
        await Store.RecordDeliveryAttemptAsync(ds.Single(d => d.Channel == "syslog").Id, DeliveryStatus.Failed, "connection refused", DateTimeOffset.UtcNow, null, CancellationToken.None);
        await Store.AckAlertAsync(a, "alice", null, CancellationToken.None);

        var r = await RunAsync("report", "--since", "30d");

        Assert.True(r.ExitCode == 0, Why(r));
        var md = r.Stdout;
        Assert.Contains("- **Incidents:** 3", md);
        Assert.Contains("- **Audit chain:** intact", md);
        Assert.Contains($"- **Hosts:** {OtherHost}, {ThisHost}", md);
        Assert.Contains("| 3.1.8 | 3 | 15 | 1 |", md);
        Assert.Contains("| critical | 1 | 0 | 0 | 0.0% |", md);
        Assert.Contains("| high | 1 | 1 | 0 | 100.0% |", md);
        Assert.Contains("| ssh\\_brute\\_force | BT-SSH\\_BRUTE\\_FORCE | 2 | 10 | critical |", md);
        Assert.Contains("| 203.0.113.7 | 2 | 10 |", md);
        Assert.Contains("| deploy | 1 | 5 |", md);
        Assert.Contains("| email | 1 | 0 | 1 | 100.0% |", md);
        Assert.Contains("| syslog | 0 | 1 | 1 | 0.0% |", md);
        Assert.Contains("connection refused", md);
        Assert.Contains("- **All incidents acknowledged:** 1 of 3 \\(33.3%\\)", md);
        Assert.DoesNotContain("too\\_old\\_rule", md);
        Assert.Matches(new Regex($@"\| {Regex.Escape(ThisHost)} \| 4 \| \\#4 [0-9a-f]{{64}} \| intact \|"), md);
    }

    [Fact]
    public async Task Report_HtmlToFile_WritesAnOwnerOnlyDocumentAndNothingOnStdout()
    {
        await SaveAsync(Recent("fp-html-1", TimeSpan.FromHours(1)), ThisHost, "email");
        var path = Dir.File("report.html");

        var intact = await RunAsync("report", "--format", "html", "--output", path);
        var html = await File.ReadAllTextAsync(path);

        Assert.True(intact.ExitCode == 0, Why(intact));
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains("<td>3.1.8</td><td>1</td>", html);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Empty(intact.Stdout);
    }

    [Fact]
    public async Task HostileText_PrintsInertInTablesJsonMarkdownAndHtml()
    {
        var incident = Recent("fp-hostile", TimeSpan.FromMinutes(10), Severity.Critical, title: HostileTitle, userName: HostileUser, sourceIp: "203.0.113.66");
        var id = await SaveAsync(incident, ThisHost, "email");
        await Store.AckAlertAsync(id, HostileUser, HostileTitle, CancellationToken.None);
        var second = await SaveAsync(Recent("fp-hostile-2", TimeSpan.FromMinutes(5), Severity.High, title: HostileTitle, userName: HostileUser));
        await Store.UpsertHeartbeatAsync(new BlueTeam.Storage.Heartbeat
        {
            Host = ThisHost, Version = "1.0", StartedAt = DateTimeOffset.UtcNow, LastBeat = DateTimeOffset.UtcNow,
            Sources = new Dictionary<string, string> { [HostileTitle] = "reading " + HostileUser },
        }, CancellationToken.None);

        var list = await RunAsync("incidents", "list");
        var show = await RunAsync("alerts", "show", id.ToString());
        var alerts = await RunAsync("alerts", "list");
        var status = await RunAsync("status");
        var json = await RunAsync("incidents", "list", "--format", "json");
        var md = await RunAsync("report");
        var html = await RunAsync("report", "--format", "html");

        foreach (var r in new[] { list, show, alerts, status, json, md, html })
        {
            Assert.True(r.ExitCode == 0, Why(r));
            Assert.DoesNotContain('\u001b', r.Stdout);
            Assert.DoesNotContain('\u0007', r.Stdout);
            Assert.DoesNotContain('\r', r.Stdout);
            Assert.DoesNotContain("line1\n", r.Stdout);
        }
        // Terminal tables: the escapes are visible, the markup is printed as text, not applied.
        foreach (var r in new[] { list, show, status })
        {
            Assert.Contains("\\x1b[31mRED", r.Stdout);
            Assert.Contains("[bold red]x[/]", r.Stdout);
        }
        Assert.Contains("\\x1b[2J|[red]admin[/]", show.Stdout);

        // JSON: the exact text as data, escaped by the encoder.
        var titles = Json(json.Stdout).EnumerateArray().Select(e => e.GetProperty("title").GetString()).ToList();
        Assert.Equal([HostileTitle, HostileTitle], titles);
        Assert.Equal(HostileTitle, Json(json.Stdout)[1].GetProperty("ack").GetProperty("note").GetString());
        Assert.Contains("\\u001B", json.Stdout);
        Assert.DoesNotContain("<script>", json.Stdout);

        // Markdown: every table row keeps its column count; nothing becomes HTML, a link or a new row.
        var rows = md.Stdout.Split('\n').Where(l => l.StartsWith('|')).ToList();
        var unescapedPipe = new Regex(@"(?<!\\)(?:\\\\)*\|");
        foreach (var block in SplitTables(md.Stdout))
        {
            var columns = unescapedPipe.Count(block[0]);
            Assert.All(block, row => Assert.Equal(columns, unescapedPipe.Count(row)));
        }
        Assert.Contains(rows, r => r.Contains("\\\\x1b\\[31mRED") && r.Contains("\\<script\\>") && r.Contains("line1\\\\x0d\\\\x0aline2 \\| col"));
        Assert.DoesNotContain("<script>", md.Stdout);

        // HTML: encoded, no live tags from the data.
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html.Stdout);
        Assert.DoesNotContain("<script>", html.Stdout);
        Assert.Contains("\\x1b[31mRED", html.Stdout);
        Assert.True(second > id);
    }

    private static List<List<string>> SplitTables(string markdown)
    {
        var tables = new List<List<string>>();
        List<string>? current = null;
        foreach (var line in markdown.Split('\n'))
        {
            if (line.StartsWith('|')) (current ??= []).Add(line);
            else if (current is not null) { tables.Add(current); current = null; }
        }
        if (current is not null) tables.Add(current);
        return tables;
    }
}
