using System.Text.Json;
using BlueTeam.Correlation;
using BlueTeam.Correlation.State;
using BlueTeam.Engine;
using BlueTeam.Parsing;
using BlueTeam.Sources;
using Microsoft.Extensions.Logging;

namespace BlueTeam.Cli.Commands;

/// <summary>
/// `blueteam rules list|test`: every rule with its effective options, and a dry run of one rule
/// over a file so that an operator can check a rule before trusting it.
/// </summary>
internal static class RulesCommand
{
    private static readonly Option<string> ListFormat = new("--format", "-f") { Description = "Output format: table or json", DefaultValueFactory = _ => "table" };
    private static readonly Argument<string> RuleName = new("rule") { Description = "The rule's name (see rules list)" };
    private static readonly Argument<FileInfo> File = new("file") { Description = "A log file to run the rule over" };
    private static readonly Option<string?> Type = FormatOption.Create($"Log format of the file: {string.Join(", ", LogFormats.Default.Names)} (default: {CollectorOptions.DefaultType})");
    private const string Collector = "rules-test";
    private static readonly Option<int?> Year = new("--year") { Description = "Year of RFC 3164 timestamps (default: inferred from the file's modification time)" };

    public static Command Build()
    {
        ListFormat.AcceptOnlyFromAmong("table", "json");
        var list = new Command("list", "List every rule (enabled or not) with its effective options") { ListFormat };
        list.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, _) => Task.FromResult(List(app, parse.GetValue(ListFormat) == "json"))));
        var test = new Command("test", "Run one rule over a file: which events matched its filter, and when it fired") { RuleName, File, Type, Year };
        test.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, token) => TestAsync(app, parse, token)));
        return new Command("rules", "List the correlation rules or try one on a file") { list, test };
    }

    private static int List(AppServices app, bool json)
    {
        var rules = RuleCatalog.Describe(app.Config.Correlation);
        var stdout = Console.Out;
        if (json)
        {
            using var stream = Console.OpenStandardOutput();
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Default });
            w.WriteStartArray();
            foreach (var r in rules)
            {
                w.WriteStartObject();
                w.WriteString("id", r.Id);
                w.WriteString("name", r.Name);
                w.WriteString("title", r.Title);
                w.WriteString("kind", r.Kind);
                w.WriteString("severity", r.Severity.ToName());
                w.WriteBoolean("enabled", r.Enabled);
                w.WriteStartArray("nist_controls");
                foreach (var c in r.NistControls) w.WriteStringValue(c);
                w.WriteEndArray();
                w.WriteString("description", r.Description);
                w.WriteString("filter", r.Filter);
                w.WriteString("origin", r.Origin);
                w.WriteStartObject("options");
                foreach (var (k, v) in r.Options) w.WriteString(k, v);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.Flush();
            stream.WriteByte((byte)'\n');
            return ExitCodes.Ok;
        }
        stdout.WriteLine($"{"NAME",-26} {"ID",-12} {"KIND",-14} {"SEVERITY",-9} {"ON",-3} {"NIST",-14} OPTIONS");
        foreach (var r in rules)
        {
            var options = string.Join(" ", r.Options.Where(o => o.Key is not ("enabled" or "severity")).Select(o => $"{o.Key}={o.Value}"));
            stdout.WriteLine(SafeText.Inert(
                $"{r.Name,-26} {r.Id,-12} {r.Kind,-14} {r.Severity.ToName(),-9} {(r.Enabled ? "yes" : "no"),-3} {string.Join(",", r.NistControls),-14} {options}"));
        }
        return ExitCodes.Ok;
    }

    private static async Task<int> TestAsync(AppServices app, ParseResult parse, CancellationToken ct)
    {
        var name = parse.GetValue(RuleName)!;
        var file = parse.GetValue(File)!;
        var rule = RuleCatalog.BuildOne(app.Config.Correlation, name, new RuleContext { Host = app.Config.Host, Time = app.Time });
        if (rule is null)
        {
            var known = string.Join(", ", RuleCatalog.Describe(app.Config.Correlation).Select(r => r.Name));
            await Console.Error.WriteLineAsync($"blueteam: unknown rule '{SafeText.Inert(name)}'; known rules: {known}").ConfigureAwait(false);
            return ExitCodes.ConfigError;
        }
        if (!file.Exists)
        {
            await Console.Error.WriteLineAsync($"blueteam: {SafeText.Inert(file.FullName)}: file not found").ConfigureAwait(false);
            return ExitCodes.NotOk;
        }
        // The engine as every command drives it, with this one rule: every event a line completes, what multi-record
        // parsers (auditd) still hold at the end of the file, rule errors contained; the same events, in the same
        // order, as scan and the daemon feed their rules.
        var pipeline = new DetectionPipeline(ParserRegistry.CreateDefault(), new Correlator([rule], app.Loggers.CreateLogger<Correlator>()));
        var log = LogFile.Plain(file.FullName, parse.GetValue(Type) ?? CollectorOptions.DefaultType, ParseContexts.For(null, app.Config, file.LastWriteTimeUtc, parse.GetValue(Year)));
        var stdout = Console.Out;
        await stdout.WriteLineAsync(SafeText.Inert($"rule {rule.Descriptor.Name} ({rule.Descriptor.Id}, {rule.Descriptor.Kind}): {rule.Descriptor.Description}")).ConfigureAwait(false);
        await stdout.WriteLineAsync(SafeText.Inert($"filter: {rule.Descriptor.Filter}")).ConfigureAwait(false);
        if (!rule.Descriptor.Enabled) await stdout.WriteLineAsync("note: the rule is disabled in this config; tested anyway").ConfigureAwait(false);

        var seen = new HashSet<string>(StringComparer.Ordinal);
        long lineNumber = 0, matched = 0;
        var events = new List<SecurityEvent>();
        var updates = new List<IncidentUpdate>();
        async Task EvaluateAsync(SecurityEvent e, string where)
        {
            if (rule.Matches(e))
            {
                matched++;
                await stdout.WriteLineAsync(SafeText.Inert(
                    $"{where}: match {e.Timestamp:yyyy-MM-ddTHH:mm:ssK} {e.Event.Action} {e.Event.Outcome ?? "-"} source={e.Source?.Ip ?? e.Source?.Domain ?? "-"} user={e.User?.Name ?? "-"}")).ConfigureAwait(false);
            }
            updates.Clear();
            pipeline.Correlate(e, updates, Collector);
            foreach (var update in updates)
            {
                var incident = update.ToIncident();
                var verb = seen.Add(incident.Fingerprint) ? "FIRED" : "updated";
                await stdout.WriteLineAsync(SafeText.Inert(
                    $"{where}: {verb} {incident.Severity.ToName()} \"{incident.Title}\" events={incident.EventCount} {incident.FirstSeen:yyyy-MM-ddTHH:mm:ssK}..{incident.LastSeen:yyyy-MM-ddTHH:mm:ssK} [{incident.Fingerprint}]")).ConfigureAwait(false);
            }
        }
        try
        {
            foreach (var line in log.ReadLines(Collector))
            {
                ct.ThrowIfCancellationRequested();
                lineNumber++;
                events.Clear();
                pipeline.Parse(line, log.Context, events);
                foreach (var e in events) await EvaluateAsync(e, $"line {lineNumber}").ConfigureAwait(false);
            }
        }
        catch (UnreadableFileException e)
        {
            await Console.Error.WriteLineAsync($"blueteam: cannot read {SafeText.Inert(e.Message)}").ConfigureAwait(false);
            return ExitCodes.NotOk;
        }
        events.Clear();
        pipeline.FlushParsers(events);
        foreach (var e in events) await EvaluateAsync(e, "end of file").ConfigureAwait(false);
        if (pipeline.Errors.ParseErrors + pipeline.Errors.RuleErrors > 0)
            await Console.Error.WriteLineAsync(ScanCommand.ContainedErrors(pipeline.Errors)).ConfigureAwait(false);
        await stdout.WriteLineAsync($"{lineNumber} lines, {matched} matched the filter, {seen.Count} incidents").ConfigureAwait(false);
        return ExitCodes.Ok;
    }
}
