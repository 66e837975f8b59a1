using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using BlueTeam.Cli.Composition;
using BlueTeam.Core.Text;
using BlueTeam.Storage;
using Spectre.Console;

namespace BlueTeam.Cli.Commands;

/// <summary>
/// `blueteam verify`: walks the tamper-evident alert chain (NIST 3.3.8) and says, per host, how
/// many entries were checked and whether the history is intact or where it first breaks.
/// Exit 0 when every chain checked is intact, 1 (<see cref="ExitCodes.NotOk"/>) when one is broken.
/// </summary>
internal static class VerifyCommand
{
    private static readonly Option<string?> Host = new("--host") { Description = "Verify only this host's chain (default: every host)" };
    private static readonly Option<string> Format = new("--format", "-f") { Description = "table or json", DefaultValueFactory = _ => "table" };

    public static Command Build()
    {
        Format.AcceptOnlyFromAmong("table", "json");
        var verify = new Command("verify", "Verify the tamper-evident alert history chain (exit 1 if it was altered)") { Host, Format };
        verify.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, token) => VerifyAsync(app, parse, token)));
        return verify;
    }

    private static async Task<int> VerifyAsync(AppServices app, ParseResult parse, CancellationToken ct)
    {
        var store = await app.OpenExistingStoreAsync(ct).ConfigureAwait(false);
        var results = await store.VerifyChainAsync(parse.GetValue(Host), ct).ConfigureAwait(false);
        var exit = results.All(r => r.IsIntact) ? ExitCodes.Ok : ExitCodes.NotOk;

        if (parse.GetValue(Format) == "json")
        {
            await using var stdout = Console.OpenStandardOutput();
            await using (var json = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
            {
                json.WriteStartArray();
                foreach (var r in results) WriteJson(json, r);
                json.WriteEndArray();
            }
            await stdout.WriteAsync("\n"u8.ToArray(), ct).ConfigureAwait(false);
            return exit;
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        if (results.Count == 0)
        {
            console.WriteLine("no alert chain to verify (no alerts stored)");
            return exit;
        }
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
        return exit;
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

    private static void WriteJson(Utf8JsonWriter w, ChainVerification r)
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
        if (r.FirstBreak is { } broken)
        {
            w.WriteStartObject("first_break");
            w.WriteString("kind", KindName(broken.Kind));
            if (broken.Seq is { } seq) w.WriteNumber("seq", seq);
            if (broken.AlertId is { } id) w.WriteNumber("alert_id", id);
            w.WriteString("detail", broken.Detail);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }
}
