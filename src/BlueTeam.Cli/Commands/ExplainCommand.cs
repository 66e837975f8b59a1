using System.Text;
using System.Text.Json;
using BlueTeam.Correlation;
using BlueTeam.Engine;
using BlueTeam.Parsing;
using BlueTeam.Sources;

namespace BlueTeam.Cli.Commands;

/// <summary>
/// `blueteam explain`: what the pipeline does with each line (as cscli explain and wazuh-logtest show it): the
/// parse as ECS fields, the rules the event fed and where its key stands after it, and what fired. It drives the
/// same DetectionPipeline as scan and the daemon (<see cref="LineExplainer"/>), with the config's rules.
/// </summary>
/// <remarks>Every text from the log is hostile: on a terminal it is made inert; --json escapes it as JSON does.</remarks>
internal static class ExplainCommand
{
    private const string Collector = "explain";

    public static Command Build()
    {
        var lines = new Argument<string[]>("lines") { Description = "Log lines to explain (quote each one), or - to read standard input", Arity = ArgumentArity.ZeroOrMore };
        var file = new Option<string?>("--file") { Description = "Read the lines from this file (gzip, bzip2, xz and zstd are read as they are)" };
        var format = new Option<string>("--format", "-t") { Description = $"Log format: auto (detected from the first lines), {string.Join(", ", LogFormats.Default.Names)}", DefaultValueFactory = _ => "auto" };
        format.AcceptOnlyFromAmong(["auto", .. LogFormats.Default.Names]);
        var year = new Option<int?>("--year") { Description = "Year of RFC 3164 timestamps (default: this year)" };
        var json = new Option<bool>("--json") { Description = "One JSON object per line on standard output, for machines" };
        var cmd = new Command("explain", "Show what blueteam does with log lines: the parse (ECS fields), the rules each event fed and their state, and what fired")
        {
            lines, file, format, year, json,
        };
        cmd.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, token) =>
            RunAsync(app, parse.GetValue(lines) ?? [], parse.GetValue(file), parse.GetValue(format)!, parse.GetValue(year), parse.GetValue(json), token)));
        return cmd;
    }

    private static async Task<int> RunAsync(AppServices app, string[] arguments, string? file, string formatName, int? year, bool json, CancellationToken ct)
    {
        var stdin = arguments is [LogInputs.StandardInput];
        if (file is not null && arguments.Length > 0)
            return await Output.Usage.ErrorAsync("give lines or --file, not both").ConfigureAwait(false);
        if (file is null && arguments.Length == 0)
            return await Output.Usage.ErrorAsync("nothing to explain: give log lines as arguments, --file FILE, or - for standard input").ConfigureAwait(false);
        if (file is not null && !File.Exists(file))
        {
            await Console.Error.WriteLineAsync($"blueteam: {SafeText.Inert(Path.GetFullPath(file))}: file not found").ConfigureAwait(false);
            return ExitCodes.NotOk;
        }

        var now = app.Time.GetUtcNow();
        var context = ParseContexts.For(null, app.Config, now, year ?? now.Year);
        IEnumerable<RawLine> input;
        string format;
        if (file is not null || stdin)
        {
            var path = file ?? LogInputs.StandardInput;
            string head;
            Func<Stream> open;
            try
            {
                (head, open) = LogInputs.Prepare(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                await Console.Error.WriteLineAsync($"blueteam: cannot read {SafeText.Inert(e.Message)}").ConfigureAwait(false);
                return ExitCodes.NotOk;
            }
            format = FormatOf(formatName, head);
            input = new LogFile(stdin ? "(standard input)" : Path.GetFullPath(path), 0, format, context, open).ReadLines(Collector);
        }
        else
        {
            format = FormatOf(formatName, string.Join('\n', arguments));
            input = arguments.SelectMany(a => a.Split('\n')).Select((text, i) => new RawLine
            {
                Collector = Collector, Type = format, Path = "(argument)", Text = text.TrimEnd('\r'), Offset = i, EndOffset = i + 1,
            });
        }

        var pipeline = new DetectionPipeline(ParserRegistry.CreateDefault(), app.BuildCorrelator());
        var explainer = new LineExplainer(pipeline);
        var stdout = Console.Out;
        long number = 0, events = 0, fired = 0;
        try
        {
            foreach (var line in input)
            {
                ct.ThrowIfCancellationRequested();
                var explanation = explainer.Explain(line, context);
                number++;
                events += explanation.Events.Count;
                fired += explanation.Events.Sum(e => e.Fired.Count);
                await stdout.WriteAsync(json ? Json(number, format, explanation.Line.Text, explanation.Events, explanation.ParseError)
                    : Text(number, format, explanation.Line.Text, explanation.Events, explanation.ParseError)).ConfigureAwait(false);
            }
            var held = explainer.Flush(Collector);
            if (held.Count > 0)
            {
                events += held.Count;
                fired += held.Sum(e => e.Fired.Count);
                await stdout.WriteAsync(json ? Json(null, format, null, held, null) : Text(null, format, null, held, null)).ConfigureAwait(false);
            }
        }
        catch (UnreadableFileException e)
        {
            await Console.Error.WriteLineAsync($"blueteam: cannot read {SafeText.Inert(e.Message)}").ConfigureAwait(false);
            return ExitCodes.NotOk;
        }
        await stdout.FlushAsync(ct).ConfigureAwait(false);
        await Console.Error.WriteLineAsync($"explained {number:N0} line(s) as {format}: {events:N0} event(s), {fired:N0} incident update(s)").ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private static string FormatOf(string name, string head) =>
        LogFormats.Default.IsRegistered(name) ? name : LogFormats.Default.Detect(head) ?? CollectorOptions.DefaultType;

    /// <summary>The text view: every piece of log text made inert (no escape sequence or control character reaches the terminal).</summary>
    private static string Text(long? number, string format, string? line, IReadOnlyList<EventExplanation> events, string? parseError)
    {
        var sb = new StringBuilder();
        sb.Append(number is { } n ? $"line {n.ToString(CultureInfo.InvariantCulture)}: {SafeText.Inert(line, 1000)}" : "end of input (records a parser still held):").Append('\n');
        if (parseError is not null) sb.Append("  parse error: ").Append(SafeText.Inert(parseError, 300)).Append('\n');
        else if (events.Count == 0 && number is not null) sb.Append("  not parsed: no ").Append(format).Append(" parser recognises this line (or it completes a record later)\n");
        foreach (var e in events)
        {
            sb.Append("  parsed: ").Append(SafeText.Inert(string.Join(' ', Fields(EcsJson.Serialize(e.Event)).Select(f => $"{f.Name}={f.Value}")), 2000)).Append('\n');
            if (e.Rules.Count == 0) sb.Append("  rules: none looks at this event\n");
            foreach (var rule in e.Rules) sb.Append("  rule ").Append(SafeText.Inert(RuleText(rule), 400)).Append('\n');
            foreach (var (incident, opened) in e.Fired)
            {
                sb.Append("  fired: ").Append(SafeText.Inert(
                    $"{incident.Severity.ToName().ToUpperInvariant()} {incident.Rule.Name} {(opened ? "opened" : "updated")} (events={incident.EventCount}) {incident.Title} [{incident.Fingerprint}]", 600)).Append('\n');
            }
        }
        return sb.ToString();
    }

    private static string RuleText(RuleFed rule)
    {
        if (rule.Error is not null) return $"{rule.Rule}: failed on this event ({rule.Error})";
        if (rule.Progress is not { } p) return $"{rule.Rule}: fed";
        var window = Output.DurationText.Format(p.Window);
        return p.Open
            ? $"{rule.Rule} {p.Count}/{p.Threshold} in {window} for {p.Key}: incident open"
            : $"{rule.Rule} {p.Count}/{p.Threshold} in {window} for {p.Key}";
    }

    /// <summary>The event's ECS JSON flattened to dotted names (event.action, source.ip), arrays joined with commas.</summary>
    private static List<(string Name, string Value)> Fields(string ecsJson)
    {
        using var document = JsonDocument.Parse(ecsJson);
        var result = new List<(string Name, string Value)>();
        Flatten(document.RootElement, "", result);
        return result;
    }

    private static void Flatten(JsonElement element, string prefix, List<(string Name, string Value)> into)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in element.EnumerateObject()) Flatten(p.Value, prefix.Length == 0 ? p.Name : $"{prefix}.{p.Name}", into);
                break;
            case JsonValueKind.Array:
                into.Add((prefix, string.Join(',', element.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText()))));
                break;
            case JsonValueKind.String:
                into.Add((prefix, element.GetString() ?? ""));
                break;
            case JsonValueKind.Null:
                break;
            default:
                into.Add((prefix, element.GetRawText()));
                break;
        }
    }

    /// <summary>One JSON object per line; strings escaped by the JSON writer (control characters as \uXXXX).</summary>
    private static string Json(long? number, string format, string? line, IReadOnlyList<EventExplanation> events, string? parseError)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (number is { } n) w.WriteNumber("line", n); else w.WriteNull("line");
            if (line is not null) w.WriteString("text", line); else w.WriteNull("text");
            w.WriteString("format", format);
            if (parseError is not null) w.WriteString("parse_error", parseError);
            w.WriteStartArray("events");
            foreach (var e in events)
            {
                w.WriteStartObject();
                w.WritePropertyName("event");
                w.WriteRawValue(EcsJson.Serialize(e.Event));
                w.WriteStartArray("rules");
                foreach (var rule in e.Rules)
                {
                    w.WriteStartObject();
                    w.WriteString("rule", rule.Rule);
                    if (rule.Progress is { } p)
                    {
                        w.WriteString("key", p.Key);
                        w.WriteNumber("count", p.Count);
                        w.WriteNumber("threshold", p.Threshold);
                        w.WriteNumber("window_sec", (long)p.Window.TotalSeconds);
                        w.WriteBoolean("open", p.Open);
                    }
                    if (rule.Error is not null) w.WriteString("error", rule.Error);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteStartArray("fired");
                foreach (var (incident, opened) in e.Fired)
                {
                    w.WriteStartObject();
                    w.WriteBoolean("opened", opened);
                    w.WritePropertyName("incident");
                    w.WriteRawValue(EcsJson.Serialize(incident));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}
