using System.Text.Json;
using BlueTeam.Engine.Daemon;
using BlueTeam.Storage.Sealing;

namespace BlueTeam.Cli.Commands;

/// <summary>
/// `blueteam verify`: walks the tamper-evident alert chain (NIST 3.3.8) and says, per host, how
/// many entries were checked and whether the history is intact or where it first breaks. Beyond
/// the links it checks the anchored end (the sealing state's last sealed entry, read from the
/// configured state), the seals with the auditor's key (<c>--key</c>) and a saved stream of
/// announced heads (<c>--anchors</c>), and names each check it could not do.
/// Exit 0 when every check done passed, 1 (<see cref="ExitCodes.NotOk"/>) when one failed.
/// </summary>
internal static class VerifyCommand
{
    private static readonly Option<string?> Host = new("--host") { Description = "Verify only this host's chain (default: every host)" };
    private static readonly Option<string> Format = new("--format", "-f") { Description = "table or json", DefaultValueFactory = _ => "table" };
    private static readonly Option<string?> Key = new("--key") { Description = "The verification key printed by blueteam keys init (btseal1/…), or a file holding it: checks the seals" };
    private static readonly Option<FileInfo> Anchors = new("--anchors") { Description = "A saved syslog stream of BLUETEAM_CHAIN_HEAD lines: each announced head must still be in the chain" };

    public static Command Build()
    {
        Format.AcceptOnlyFromAmong("table", "json");
        Anchors.AcceptExistingOnly(); // a missing file is a usage error (exit 2), not a failure found in the history
        var verify = new Command("verify", "Verify the tamper-evident alert history chain (exit 1 if it was altered)") { Host, Format, Key, Anchors };
        verify.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, token) => VerifyAsync(app, parse, token)));
        return verify;
    }

    private static async Task<int> VerifyAsync(AppServices app, ParseResult parse, CancellationToken ct)
    {
        VerificationKey? key = null;
        if (parse.GetValue(Key) is { } keyText && !TryReadKey(keyText, out key, out var keyError))
        {
            await Console.Error.WriteLineAsync($"blueteam: --key: {SafeText.Inert(keyError)}").ConfigureAwait(false);
            return ExitCodes.ConfigError;
        }
        IReadOnlyList<AnnouncedHead>? announced = null;
        if (parse.GetValue(Anchors) is { } anchors)
        {
            try
            {
                announced = await ReadAnnouncedAsync(anchors, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"blueteam: --anchors: cannot read {SafeText.Inert(anchors.FullName)}: {SafeText.Inert(e.Message)}").ConfigureAwait(false);
                return ExitCodes.ConfigError;
            }
        }
        var store = await app.OpenExistingStoreAsync(ct).ConfigureAwait(false);
        var onlyHost = parse.GetValue(Host);
        var results = await store.VerifyChainAsync(onlyHost, ct).ConfigureAwait(false);
        var checks = await SealingChecksAsync(app, store, results, onlyHost, key, announced, ct).ConfigureAwait(false);
        var exit = results.All(r => r.IsIntact) && checks.All(c => c.Outcome != CheckOutcome.Failed) ? ExitCodes.Ok : ExitCodes.NotOk;

        if (parse.GetValue(Format) == "json")
        {
            await using var stdout = Console.OpenStandardOutput();
            await using (var json = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
            {
                // One object per host, as before sealing; a host whose chain is gone (wiped) still has its checks.
                json.WriteStartArray();
                var hosts = results.Select(r => r.Host).Union(checks.Select(c => c.Host)).Order(StringComparer.Ordinal);
                foreach (var h in hosts)
                    WriteJson(json, results.FirstOrDefault(r => r.Host == h) ?? new ChainVerification(h, 0, null, null), checks.Where(c => c.Host == h));
                json.WriteEndArray();
            }
            await stdout.WriteAsync("\n"u8.ToArray(), ct).ConfigureAwait(false);
            return exit;
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        // Piped into a file or a script, check lines stay whole instead of wrapping at Spectre's 80 columns.
        if (Console.IsOutputRedirected) console.Profile.Width = 240;
        if (results.Count == 0) console.WriteLine("no alert chain to verify (no alerts stored)");
        else WriteTable(console, results);
        foreach (var r in results.Where(r => r.Pruned is not null))
            console.MarkupLine($"{Cell(r.Host)}: retention: {Cell(r.Pruned!.Describe())}");
        foreach (var c in checks)
        {
            var outcome = c.Outcome switch
            {
                CheckOutcome.Passed => "[green]OK[/]",
                CheckOutcome.Failed => "[red]FAILED[/]" + (c.FirstBadSeq is { } seq ? $" at entry {seq.ToString(CultureInfo.InvariantCulture)}" : ""),
                _ => "[yellow]NOT CHECKED[/]",
            };
            console.MarkupLine($"{Cell(c.Host)}: {Markup.Escape(c.Name)}: {outcome}: {Cell(c.Detail)}");
        }
        return exit;
    }

    private static void WriteTable(IAnsiConsole console, IReadOnlyList<ChainVerification> results)
    {
        var table = new Table().AddColumns("host", "entries checked", "head", "status");
        foreach (var r in results)
        {
            table.AddRow(
                Cell(r.Host),
                r.EntriesChecked.ToString(CultureInfo.InvariantCulture),
                r.Head is { } head ? $"{head.Seq.ToString(CultureInfo.InvariantCulture)} {head.Hash[..16]}" : "-",
                r.FirstBreak is { } broken ? "[red]BROKEN[/] " + Cell(Describe(broken)) : "[green]OK[/]");
        }
        console.Write(table);
    }

    /// <summary>
    /// The checks beyond the links, for every host the chain, the sealing state or the key names (a wiped
    /// history has no chain left to name its host). Each check not possible is listed as not done.
    /// </summary>
    private static async Task<IReadOnlyList<HistoryCheck>> SealingChecksAsync(AppServices app, IBlueTeamStore store, IReadOnlyList<ChainVerification> results,
        string? onlyHost, VerificationKey? key, IReadOnlyList<AnnouncedHead>? announced, CancellationToken ct)
    {
        var hosts = new SortedSet<string>(results.Select(r => r.Host), StringComparer.Ordinal) { app.Config.Host };
        if (key is not null) hosts.Add(key.Host);
        if (onlyHost is not null) hosts.RemoveWhere(h => h != onlyHost);
        var statePath = app.Config.Storage.Sealing.ResolveStatePath();
        var checks = new List<HistoryCheck>();
        foreach (var host in hosts)
        {
            var pruned = results.FirstOrDefault(r => r.Host == host)?.Pruned;
            // The state on this host is this host's; other hosts of a fleet keep theirs on their own machines.
            if (host == app.Config.Host)
                checks.Add(await HistoryChecks.AnchorAsync(host, statePath, store, store, ct, pruned).ConfigureAwait(false));
            checks.Add(key is null
                ? new HistoryCheck(host, HistoryChecks.SealsCheck, CheckOutcome.NotDone, null, "no verification key given (--key): seals not checked, a rewrite of the whole chain would pass the links")
                : key.Host != host
                    ? new HistoryCheck(host, HistoryChecks.SealsCheck, CheckOutcome.NotDone, null, $"the key given is {key.Host}'s")
                    : await HistoryChecks.SealsAsync(key, store, app.Time.GetUtcNow(), ct, TryLoadState(statePath), pruned).ConfigureAwait(false));
            // Whether a prune removed only what the retention period allows: only the seals can say so.
            if (key is not null && key.Host == host && pruned is not null)
                checks.Add(await HistoryChecks.RetentionAsync(key, store, pruned, app.Config.Storage.Retention.Days, ct).ConfigureAwait(false));
            if (announced is null)
                checks.Add(new HistoryCheck(host, HistoryChecks.AnnouncedCheck, CheckOutcome.NotDone, null, "no saved stream of chain heads given (--anchors)"));
            else
            {
                var lineHost = ChainHeadAnnouncer.LineHost(host);
                checks.Add(await HistoryChecks.AnnouncedAsync(host, announced.Where(a => a.Host == lineHost).ToList(), store, ct, pruned).ConfigureAwait(false));
            }
        }
        return checks;
    }

    /// <summary>The local state for the seals check, when there is one to read (the anchor check reports why not).</summary>
    private static SealingState? TryLoadState(string path)
    {
        try
        {
            return File.Exists(path) ? SealingState.Load(path) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return null;
        }
    }

    private static async Task<IReadOnlyList<AnnouncedHead>> ReadAnnouncedAsync(FileInfo file, CancellationToken ct)
    {
        var heads = new List<AnnouncedHead>();
        var number = 0;
        using var reader = file.OpenText();
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            number++;
            if (ChainHeadAnnouncer.TryParse(line, number, out var head)) heads.Add(head!);
        }
        return heads;
    }

    /// <summary>The key itself, or a file holding it (so it need not appear in the process list).</summary>
    private static bool TryReadKey(string text, out VerificationKey? key, out string? error)
    {
        if (!text.StartsWith("btseal", StringComparison.Ordinal) && File.Exists(text))
        {
            try
            {
                text = File.ReadAllText(text);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                key = null;
                error = $"cannot read {text}: {e.Message}";
                return false;
            }
        }
        return VerificationKey.TryParse(text, out key, out error);
    }

    private static void WriteJson(Utf8JsonWriter w, HistoryCheck c)
    {
        w.WriteStartObject();
        w.WriteString("check", c.Name);
        w.WriteString("outcome", c.Outcome switch { CheckOutcome.Passed => "passed", CheckOutcome.Failed => "failed", _ => "not_done" });
        if (c.FirstBadSeq is { } seq) w.WriteNumber("first_bad_seq", seq);
        w.WriteString("detail", c.Detail);
        w.WriteEndObject();
    }

    private static string Describe(ChainBreak broken)
    {
        var where = broken.Seq is { } seq ? $"at entry {seq.ToString(CultureInfo.InvariantCulture)}" : "outside the chain";
        var alert = broken.AlertId is { } id ? $", alert {id.ToString(CultureInfo.InvariantCulture)}" : "";
        return $"{KindName(broken.Kind)} {where}{alert}: {broken.Detail}";
    }

    private static string KindName(ChainBreakKind kind) => kind switch
    {
        ChainBreakKind.HashMismatch => "hash_mismatch",
        ChainBreakKind.BrokenLink => "broken_link",
        ChainBreakKind.Gap => "gap",
        ChainBreakKind.AlertEdited => "alert_edited",
        ChainBreakKind.AlertDeleted => "alert_deleted",
        ChainBreakKind.AlertNotChained => "alert_not_chained",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown chain break kind"),
    };

    /// <summary>Host names and details carry text from logs and the database: made inert for the terminal.</summary>
    private static string Cell(string text) => Markup.Escape(SafeText.Inert(text, 300));

    private static void WriteJson(Utf8JsonWriter w, ChainVerification r, IEnumerable<HistoryCheck> checks)
    {
        w.WriteStartObject();
        w.WriteString("host", r.Host);
        w.WriteBoolean("intact", r.IsIntact);
        w.WriteNumber("entries_checked", r.EntriesChecked);
        if (r.Head is { } head)
        {
            w.WriteNumber("head_seq", head.Seq);
            w.WriteString("head_hash", head.Hash);
        }
        if (r.Pruned is { } pruned)
        {
            w.WriteStartObject("pruned");
            w.WriteNumber("through_seq", pruned.PrunedThrough);
            w.WriteNumber("record_seq", pruned.Seq);
            w.WriteNumber("retention_days", pruned.RetentionDays);
            w.WriteString("cutoff", pruned.Cutoff);
            w.WriteString("pruned_at", pruned.PrunedAt);
            w.WriteNumber("incidents_removed", pruned.AlertsRemoved);
            w.WriteNumber("entries_removed", pruned.EntriesRemoved);
            w.WriteNumber("deliveries_removed", pruned.DeliveriesRemoved);
            w.WriteEndObject();
        }
        if (r.FirstBreak is { } broken)
        {
            w.WriteStartObject("first_break");
            w.WriteString("kind", KindName(broken.Kind));
            if (broken.Seq is { } seq) w.WriteNumber("seq", seq);
            if (broken.AlertId is { } id) w.WriteNumber("alert_id", id);
            w.WriteString("detail", broken.Detail);
            w.WriteEndObject();
        }
        w.WriteStartArray("checks");
        foreach (var c in checks) WriteJson(w, c);
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
