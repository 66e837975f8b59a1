using System.Diagnostics;
using BlueTeam.Engine;
using BlueTeam.Parsing;
using BlueTeam.Sources;

namespace BlueTeam.Cli.Commands;

/// <summary>
/// `blueteam scan FILE...`: the daemon's parsers and rules over finished files, in event time.
/// Stores nothing unless --store is given.
/// </summary>
internal static class ScanCommand
{
    private static readonly Argument<string[]> Files = new("files")
    {
        Description = "Log files to read: files (gzip, bzip2, xz and zstd are read as they are), folders, globs, or - for standard input",
        Arity = ArgumentArity.OneOrMore,
    };
    private static readonly Option<string> Emit = new("--emit") { Description = "What to print: incidents or events", DefaultValueFactory = _ => "incidents" };
    private static readonly Option<string> Format = new("--format", "-f") { Description = "Output format: text or jsonl", DefaultValueFactory = _ => "text" };
    private static readonly Option<string?> Type = FormatOption.Create($"Log format of the files: {string.Join(", ", LogFormats.Default.Names)} (default: detected per file)");
    private static readonly Option<int?> Year = new("--year") { Description = "Year of RFC 3164 timestamps (default: inferred from each file's modification time)" };
    private const long ProgressThresholdBytes = 64L << 20;
    // Incidents stored per transaction by --store: large enough that the commit is a small share
    // of the work, small enough that a batch stays a few megabytes.
    private const int StoreBatch = 1000;
    private static readonly Option<string?> Since = new("--since") { Description = "Only events at or after this @timestamp: a duration back from now (2h, 7d) or an ISO 8601 time (UTC unless it says otherwise)" };
    private static readonly Option<string?> Until = new("--until") { Description = "Only events before this @timestamp: a duration back from now (1h) or an ISO 8601 time" };
    private static readonly Option<bool> StoreOption = new("--store") { Description = "Save the incidents found in the store (without delivering them)" };

    public static Command Build()
    {
        Emit.AcceptOnlyFromAmong("incidents", "events");
        Format.AcceptOnlyFromAmong("text", "jsonl");
        var cmd = new Command("scan", "Run the parsers and rules over log files and print incidents or events")
        {
            Files, Emit, Format, Type, Year, Since, Until, StoreOption,
        };
        cmd.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, token) => RunAsync(app, parse, token)));
        return cmd;
    }

    private static async Task<int> RunAsync(AppServices app, ParseResult parse, CancellationToken ct)
    {
        var files = LogInputs.Expand(parse.GetValue(Files)!);
        var emitEvents = parse.GetValue(Emit) == "events";
        var jsonl = parse.GetValue(Format) == "jsonl";
        var type = parse.GetValue(Type);
        var year = parse.GetValue(Year);

        var now = app.Time.GetUtcNow();
        DateTimeOffset? since = null, until = null;
        if (parse.GetValue(Since) is { } sinceText)
        {
            if (!Output.DurationText.TryParseSince(sinceText, now, out var at))
                return await Output.Usage.ErrorAsync($"--since '{Output.Inert.Plain(sinceText, 40)}' is neither a duration (2h, 7d) nor an ISO 8601 time").ConfigureAwait(false);
            since = at;
        }
        if (parse.GetValue(Until) is { } untilText)
        {
            if (!Output.DurationText.TryParseSince(untilText, now, out var at))
                return await Output.Usage.ErrorAsync($"--until '{Output.Inert.Plain(untilText, 40)}' is neither a duration (1h, 2d) nor an ISO 8601 time").ConfigureAwait(false);
            until = at;
        }
        if (since >= until)
            return await Output.Usage.ErrorAsync($"--until ({Output.DurationText.Timestamp(until!.Value)}) is not after --since ({Output.DurationText.Timestamp(since!.Value)})").ConfigureAwait(false);
        // Filtered on the event's own time before the rules see it: a burst that straddles --since counts only its events inside.
        Func<SecurityEvent, bool>? include = since is null && until is null ? null
            : e => (since is not { } from || e.Timestamp >= from) && (until is not { } to || e.Timestamp < to);

        var pipeline = new DetectionPipeline(ParserRegistry.CreateDefault(), app.BuildCorrelator());
        var stopwatch = Stopwatch.StartNew();
        var stdout = Console.Out;
        FileScanResult? result = null;

        var missing = files.FirstOrDefault(f => f != LogInputs.StandardInput && !File.Exists(f));
        if (missing is not null)
        {
            await Console.Error.WriteLineAsync($"blueteam: {SafeText.Inert(Path.GetFullPath(missing))}: file not found").ConfigureAwait(false);
            return ExitCodes.NotOk;
        }
        if (files.Count(f => f == LogInputs.StandardInput) > 1)
            return await Output.Usage.ErrorAsync("- (standard input) can be given once only").ConfigureAwait(false);
        if (files.Count == 0)
        {
            await Console.Error.WriteLineAsync("blueteam: no file to scan (the folders and globs given hold none)").ConfigureAwait(false);
            return ExitCodes.NotOk;
        }

        // The engine reads and parses on a thread of its own and correlates on this one; events stream out as they are correlated.
        async Task ScanFilesAsync(Action<long>? progress) =>
            result = await FileScan.RunAsync(pipeline, files.Select(f => Input(f, type, year, app)).ToList(),
                emitEvents ? async batch => { foreach (var e in batch) await WriteEventAsync(stdout, e, jsonl).ConfigureAwait(false); } : null,
                progress, ct, include).ConfigureAwait(false);

        try
        {
            // A progress bar on the terminal (stderr) for large inputs, unless events stream to that same terminal.
            // The bar counts plain text: compressed files and standard input have no length it could follow.
            var measurable = files.All(f => f != LogInputs.StandardInput && !IsCompressed(f));
            var totalBytes = measurable ? files.Sum(f => new FileInfo(f).Length) : 0;
            if (measurable && totalBytes >= ProgressThresholdBytes && !Console.IsErrorRedirected && (!emitEvents || Console.IsOutputRedirected))
            {
                // stderr is a terminal here (checked above); stdout may be a file, which must not turn the bar off.
                var terminal = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error), Interactive = InteractionSupport.Yes });
                await terminal.Progress().AutoClear(true)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .StartAsync(async ctx =>
                    {
                        var task = ctx.AddTask("scanning", maxValue: totalBytes);
                        await ScanFilesAsync(bytes => task.Value = bytes).ConfigureAwait(false);
                    }).ConfigureAwait(false);
            }
            else await ScanFilesAsync(null).ConfigureAwait(false);
        }
        catch (Exception e) when (e is UnreadableFileException or InvalidDataException)
        {
            // A file that exists but cannot be read (permissions, an I/O error): say which, not a stack trace.
            await Console.Error.WriteLineAsync($"blueteam: cannot read {SafeText.Inert(e.Message)}").ConfigureAwait(false);
            return ExitCodes.NotOk;
        }

        var incidents = result!.Incidents;
        if (!emitEvents)
            foreach (var update in incidents) await WriteIncidentAsync(stdout, update.ToIncident(), jsonl).ConfigureAwait(false);
        await stdout.FlushAsync(ct).ConfigureAwait(false);

        if (parse.GetValue(StoreOption) && incidents.Count > 0)
        {
            var store = await app.OpenMigratedStoreAsync(ct).ConfigureAwait(false);
            // In batches, each one transaction: a large scan stores thousands of incidents a second
            // instead of paying a transaction (and an fsync) per incident.
            // Silences in force now mark what they match, as the daemon marks them: a scan stored over a
            // maintenance window shows its incidents as silenced, not as open alerts someone must triage.
            var silenceSource = store.NoiseControl.Silences;
            var silences = silenceSource is null ? [] : await silenceSource.GetActiveSilencesAsync(app.Time.GetUtcNow(), ct).ConfigureAwait(false);
            var silenced = 0;
            foreach (var chunk in incidents.Chunk(StoreBatch))
            {
                var rendered = chunk.Select(update => update.ToIncident()).ToList();
                var saved = await store.SaveAlertsAsync(rendered.Select(i => new AlertSaveRequest(i, app.Config.Host, [])).ToList(), ct).ConfigureAwait(false);
                for (var i = 0; i < rendered.Count && silences.Count > 0; i++)
                {
                    if (silences.FirstOrDefault(s => s.Matches(rendered[i], app.Config.Host, app.Time.GetUtcNow())) is not { } silence) continue;
                    await silenceSource!.MarkSilencedAsync(saved[i].AlertId, silence.Id, ct).ConfigureAwait(false);
                    silenced++;
                }
            }
            await Console.Error.WriteLineAsync($"stored {incidents.Count} incidents in {store.Description}{(silenced > 0 ? $" ({silenced} silenced)" : "")}").ConfigureAwait(false);
        }
        if (pipeline.Errors.ParseErrors + pipeline.Errors.RuleErrors > 0)
            await Console.Error.WriteLineAsync(ContainedErrors(pipeline.Errors)).ConfigureAwait(false);
        if (pipeline.Errors.LinesTruncated > 0)
            await Console.Error.WriteLineAsync($"blueteam: {pipeline.Errors.LinesTruncated:N0} line(s) longer than {LineReader.DefaultMaxLineBytes:N0} bytes were cut there (the rest of each was dropped)").ConfigureAwait(false);

        if (include is not null)
            await Console.Error.WriteLineAsync($"{result.OutsideRange:N0} events outside {(since is { } s ? Output.DurationText.Timestamp(s) : "the start")} .. {(until is { } u ? Output.DurationText.Timestamp(u) : "now")} left out").ConfigureAwait(false);
        var seconds = stopwatch.Elapsed.TotalSeconds;
        await Console.Error.WriteLineAsync(
            $"scanned {result.Lines:N0} lines, {result.Events:N0} events, {incidents.Count:N0} incidents in {seconds:F2} s ({(seconds > 0 ? result.Lines / seconds : 0):N0} lines/s)").ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    /// <summary>
    /// One input: opened as plain text (decompressed, or standard input), its format from --type or its first
    /// lines (auth when undecided), and RFC 3164 years from --year or the file's modification time (now for stdin).
    /// </summary>
    private static LogFile Input(string path, string? type, int? year, AppServices app)
    {
        string head;
        Func<Stream> open;
        try
        {
            (head, open) = LogInputs.Prepare(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UnreadableFileException(path, e);
        }
        var stdin = path == LogInputs.StandardInput;
        var modified = stdin ? app.Time.GetUtcNow() : new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero);
        return new LogFile(stdin ? "(standard input)" : Path.GetFullPath(path), stdin ? 0 : new FileInfo(path).Length,
            type ?? LogFormats.Default.Detect(head) ?? CollectorOptions.DefaultType, ParseContexts.For(null, app.Config, modified, year), open);
    }

    /// <summary>The lines a parser or a rule failed on, said once at the end (each was skipped alone; the scan went on).</summary>
    internal static string ContainedErrors(LineErrorLog errors)
    {
        var last = errors.Recent()[^1];
        return SafeText.Inert($"blueteam: {errors.ParseErrors} line(s) skipped (a parser failed on them), {errors.RuleErrors} rule error(s) (a rule failed on an event and was skipped for it); last: {last.Kind} at {last.Path}:{last.Offset}: {last.Reason}");
    }

    private static bool IsCompressed(string path)
    {
        Span<byte> head = stackalloc byte[6];
        try
        {
            using var file = File.OpenRead(path);
            var n = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            return LogInputs.KindOf(head[..n]) != LogInputs.Compression.None;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UnreadableFileException(path, e);
        }
    }

    private static Task WriteEventAsync(TextWriter w, SecurityEvent e, bool jsonl) =>
        jsonl
            ? w.WriteLineAsync(EcsJson.Serialize(e))
            : w.WriteLineAsync(SafeText.Inert(
                $"{e.Timestamp:yyyy-MM-ddTHH:mm:ssK} {e.Event.Action} {e.Event.Outcome ?? "-"} source.ip={e.Source?.Ip ?? "-"} user.name={e.User?.Name ?? "-"} {e.Message}"));

    private static Task WriteIncidentAsync(TextWriter w, SecurityIncident i, bool jsonl) =>
        jsonl
            ? w.WriteLineAsync(EcsJson.Serialize(i))
            : w.WriteLineAsync(SafeText.Inert(
                $"{i.Severity.ToName().ToUpperInvariant(),-8} {i.Rule.Name} source.ip={i.Source?.Ip ?? "-"} user.name={i.User?.Name ?? "-"} events={i.EventCount} {i.FirstSeen:yyyy-MM-ddTHH:mm:ssK}..{i.LastSeen:yyyy-MM-ddTHH:mm:ssK} {i.Title} [{i.Fingerprint}]"));
}
