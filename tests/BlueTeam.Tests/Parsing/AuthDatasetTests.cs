using System.Text.Json;
using BlueTeam.Core.Events;
using BlueTeam.Parsing;
using BlueTeam.Parsing.Auth;
using BlueTeam.Tests.Support;
using Xunit.Abstractions;

namespace BlueTeam.Tests.Parsing;

/// <summary>The auth parser against real public logs whose ground truth others wrote.</summary>
[Trait("Category", Datasets.Category)]
public class AuthDatasetTests(ITestOutputHelper output)
{
    private readonly AuthLogParser _parser = new();

    [Fact]
    public void Parse_ElasticTestAuthLog_SshdLoginLinesMatchElasticExpectedDocuments()
    {
        var lines = ReadLines(Datasets.PathOf("elastic-integrations/system-auth/test-auth.log"));
        using var expectedJson = JsonDocument.Parse(File.ReadAllText(Datasets.PathOf("elastic-integrations/system-auth/test-auth.log-expected.json")));
        var expected = expectedJson.RootElement.GetProperty("expected").EnumerateArray().ToArray();
        Assert.Equal(lines.Length, expected.Length);

        int sshdLines = 0, sshdMatched = 0, claimed = 0;
        var mismatches = new List<string>();
        long offset = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            var doc = expected[i];
            var e = _parser.Parse(AuthLines.Line(lines[i], offset, path: "test-auth.log"), AuthLines.Context);
            offset += lines[i].Length + 1;

            var isSshd = Str(doc, "process", "name") == "sshd";
            // The lines this parser claims: Elastic calls them ssh_login.
            var isClaimed = Str(doc, "event", "action") == EventActions.SshLogin;
            // Other programs' lines are ConformanceTests' business.
            if (!isSshd) continue;
            sshdLines++;
            if (isClaimed) claimed++;

            var diff = Compare(doc, e);
            if (diff.Count == 0) sshdMatched++;
            else if (isClaimed) mismatches.Add($"line {i + 1}: {string.Join("; ", diff)}");
            else output.WriteLine($"unsupported sshd line {i + 1} (not ssh_login in Elastic): {lines[i]}");
        }

        output.WriteLine($"sshd lines matching Elastic (outcome, source.ip, user.name, pid, host, time): {sshdMatched}/{sshdLines}; ssh_login lines claimed: {claimed}");
        Assert.True(claimed >= 4, $"expected the four ssh_login lines of test-auth.log, found {claimed}");
        Assert.Empty(mismatches);
    }

    private static List<string> Compare(JsonElement doc, SecurityEvent? e)
    {
        var diff = new List<string>();
        if (e is null)
        {
            diff.Add("no event");
            return diff;
        }
        Check(diff, "event.outcome", Str(doc, "event", "outcome"), e.Event.Outcome);
        Check(diff, "event.action", Str(doc, "event", "action"), e.Event.Action);
        Check(diff, "source.ip", Str(doc, "source", "ip"), e.Source?.Ip);
        Check(diff, "source.port", Num(doc, "source", "port"), e.Source?.Port?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Check(diff, "user.name", Str(doc, "user", "name"), e.User?.Name);
        Check(diff, "process.name", Str(doc, "process", "name"), e.Process?.Name);
        Check(diff, "process.pid", Num(doc, "process", "pid"), e.Process?.Pid?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Check(diff, "host.hostname", Str(doc, "host", "hostname"), e.Host?.Hostname);
        // Syslog lines carry no year; Elastic's year is when its file was generated. Compare the rest.
        if (doc.TryGetProperty("@timestamp", out var ts) && ts.ValueKind == JsonValueKind.String)
            Check(diff, "@timestamp", DateTimeOffset.Parse(ts.GetString()!, System.Globalization.CultureInfo.InvariantCulture).ToString("MM-dd HH:mm:ss"), e.Timestamp.ToUniversalTime().ToString("MM-dd HH:mm:ss"));
        return diff;
    }

    private static void Check(List<string> diff, string field, string? expected, string? actual)
    {
        if (expected != actual) diff.Add($"{field}: expected '{expected}', got '{actual}'");
    }

    private static string? Str(JsonElement doc, string obj, string field) =>
        doc.TryGetProperty(obj, out var o) && o.ValueKind == JsonValueKind.Object && o.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()
            : null;

    private static string? Num(JsonElement doc, string obj, string field) =>
        doc.TryGetProperty(obj, out var o) && o.ValueKind == JsonValueKind.Object && o.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.Number
            ? v.GetRawText()
            : null;

    /// <summary>
    /// Loghub's OpenSSH sample labels every line with a template. The templates this parser claims
    /// must all give an event with the peer and user of the line; every other template must give none.
    /// </summary>
    [Fact]
    public void Parse_LoghubOpenSsh_EventsExactlyForClaimedTemplates()
    {
        // E1 Accepted password, E8 Failed none for invalid user, E9 Failed password, E10 Failed password for invalid user, E13 Invalid user,
        // E14 "message repeated N times: [ Failed password …]".
        string[] claimed = ["E1", "E8", "E9", "E10", "E13", "E14"];
        var lines = File.ReadAllText(Datasets.PathOf("loghub-openssh/OpenSSH_2k.log")).Split("\r\n");
        var labels = ReadLines(Datasets.PathOf("loghub-openssh/OpenSSH_2k.log_structured_corrected.csv")).Skip(1)
            .Where(l => l.Length > 0).Select(Csv).ToArray();
        Assert.Equal(2000, lines.Length);
        Assert.Equal(lines.Length, labels.Length);

        var context = new ParseContext { TimeZone = TimeZoneInfo.Utc, Year = 2015 };
        var perTemplate = new SortedDictionary<string, (int Lines, int Events)>(StringComparer.Ordinal);
        var problems = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var (content, eventId) = (labels[i][6], labels[i][7]);
            // Only ssh_login here; the other templates' actions are checked in ConformanceTests.
            var e = _parser.Parse(AuthLines.Line(lines[i], path: "OpenSSH_2k.log"), context) is { Event.Action: EventActions.SshLogin } login ? login : null;
            perTemplate.TryGetValue(eventId, out var c);
            perTemplate[eventId] = (c.Lines + 1, c.Events + (e is null ? 0 : 1));

            if (!claimed.Contains(eventId))
            {
                if (e is not null) problems.Add($"line {i + 1} ({eventId}) gave an event: {content}");
                continue;
            }
            if (e is null)
            {
                problems.Add($"line {i + 1} ({eventId}) gave no event: {content}");
                continue;
            }
            // The peer is the word after the last " from " of the content, as the template says.
            var peer = content[(content.LastIndexOf(" from ", StringComparison.Ordinal) + 6)..].Split(' ')[0];
            if (e.Source?.Ip != peer) problems.Add($"line {i + 1}: source.ip '{e.Source?.Ip}', expected '{peer}'");
            if (e.User?.Name is not { Length: > 0 } user || !content.Contains($" {user} from ", StringComparison.Ordinal))
                problems.Add($"line {i + 1}: user.name '{e.User?.Name}' not in '{content}'");
            if (e.Host?.Hostname != labels[i][4] || e.Process?.Pid?.ToString(System.Globalization.CultureInfo.InvariantCulture) != labels[i][5])
                problems.Add($"line {i + 1}: host/pid {e.Host?.Hostname}/{e.Process?.Pid}, expected {labels[i][4]}/{labels[i][5]}");
            var expectedOutcome = eventId == "E1" ? EcsValues.Success : EcsValues.Failure;
            if (e.Event.Outcome != expectedOutcome) problems.Add($"line {i + 1}: outcome {e.Event.Outcome}");
        }

        foreach (var (id, c) in perTemplate) output.WriteLine($"{id}: {c.Events}/{c.Lines} lines gave events");
        Assert.Empty(problems);
        // 383 Failed password + 135 for invalid user + 113 Invalid user + 4 Failed none + 1 Accepted + 2 repeated, per the labels.
        Assert.Equal(638, perTemplate.Where(p => claimed.Contains(p.Key)).Sum(p => p.Value.Events));
    }

    private static string[] ReadLines(string path)
    {
        var text = File.ReadAllText(path);
        var lines = text.Split('\n');
        return text.EndsWith('\n') ? lines[..^1] : lines;
    }

    /// <summary>One RFC 4180 record (quoted fields, doubled quotes), enough for Loghub's CSVs.</summary>
    private static string[] Csv(string record)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < record.Length; i++)
        {
            var c = record[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < record.Length && record[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else if (c != '\r') field.Append(c);
        }
        fields.Add(field.ToString());
        return [.. fields];
    }
}
