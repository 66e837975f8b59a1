using System.CommandLine;
using System.Globalization;
using BlueTeam.Cli.Composition;
using BlueTeam.Cli.Output;
using BlueTeam.Storage;
using Spectre.Console;

namespace BlueTeam.Cli.Commands;

/// <summary>
/// `blueteam silence add|list|expire`: time windows in which matching incidents are still stored
/// but not sent (as amtool silences). Which incidents a silence matches is the alert engine's rule.
/// </summary>
internal static class SilenceCommand
{
    public static Command Build()
    {
        var rule = new Option<string>("--rule") { Description = "The rule (name or id) to silence", Required = true };
        var match = new Option<string[]>("--match") { Description = $"key=value that must also hold; keys: {string.Join(", ", SilenceMatchers.Keys)} (repeatable)", AllowMultipleArgumentsPerToken = false };
        var duration = new Option<string>("--duration") { Description = "How long, from now: 30m, 2h, 7d", Required = true };
        var reason = new Option<string>("--reason") { Description = "Why (kept for the record)", Required = true };
        var by = new Option<string?>("--by") { Description = "Who adds it (default: the invoking user)" };
        var add = new Command("add", "Silence a rule for a while: its incidents are stored, not sent") { rule, match, duration, reason, by };
        add.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, token) =>
            AddAsync(app, parse.GetValue(rule)!, parse.GetValue(match) ?? [], parse.GetValue(duration)!, parse.GetValue(reason)!, parse.GetValue(by), token)));

        var all = new Option<bool>("--all") { Description = "Also list expired, ended and future silences" };
        var format = new Option<string>("--format", "-f") { Description = "table or json", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        var list = new Command("list", "List the silences in force (all of them with --all)") { all, format };
        list.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, token) => ListAsync(app, parse.GetValue(all), parse.GetValue(format)!, token)));

        var id = new Argument<long>("id") { Description = "The silence's id (from silence list)" };
        var expire = new Command("expire", "End a silence now; it stays listed for the record") { id };
        expire.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, token) => ExpireAsync(app, parse.GetValue(id), token)));

        return new Command("silence", "Silences: stop notifications for a rule for a while") { add, list, expire };
    }

    private static async Task<int> AddAsync(AppServices app, string rule, string[] matches, string durationText, string reason, string? by, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(rule)) return await Usage.ErrorAsync("--rule must name a rule").ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(reason)) return await Usage.ErrorAsync("--reason must say why").ConfigureAwait(false);
        if (!DurationText.TryParse(durationText, out var duration))
            return await Usage.ErrorAsync($"--duration '{Inert.Plain(durationText, 40)}' is not a duration (a whole number and s, m, h, d or w: 30m, 2h, 7d)").ConfigureAwait(false);
        var matchers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var m in matches)
        {
            var eq = m.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == m.Length - 1)
                return await Usage.ErrorAsync($"--match '{Inert.Plain(m, 80)}' is not key=value").ConfigureAwait(false);
            var key = m[..eq].Trim();
            if (!SilenceMatchers.Keys.Contains(key, StringComparer.Ordinal))
                return await Usage.ErrorAsync($"--match key '{Inert.Plain(key, 40)}' is not one of {string.Join(", ", SilenceMatchers.Keys)}").ConfigureAwait(false);
            if (!matchers.TryAdd(key, m[(eq + 1)..]))
                return await Usage.ErrorAsync($"--match '{Inert.Plain(key, 40)}' is given twice").ConfigureAwait(false);
        }
        var who = string.IsNullOrWhiteSpace(by) ? InvokingUser() : by.Trim();

        var store = await app.OpenMigratedStoreAsync(ct).ConfigureAwait(false);
        var now = app.Time.GetUtcNow();
        var silence = await store.AddSilenceAsync(new NewSilence
        {
            RuleName = rule.Trim(),
            Matchers = matchers,
            StartsAt = now,
            EndsAt = now + duration,
            CreatedBy = who,
            Reason = reason,
        }, ct).ConfigureAwait(false);
        app.Out.MarkupLine($"silence {silence.Id.ToString(CultureInfo.InvariantCulture)} added: rule {Inert.Cell(silence.RuleName)}{Inert.Cell(MatchersText(silence, prefix: " where "), 400)} until {DurationText.Timestamp(silence.EndsAt)} ({DurationText.Format(duration)}), by {Inert.Cell(silence.CreatedBy)}");
        return ExitCodes.Ok;
    }

    private static async Task<int> ListAsync(AppServices app, bool all, string format, CancellationToken ct)
    {
        var store = await app.OpenExistingStoreAsync(ct).ConfigureAwait(false);
        var silences = await store.ListSilencesAsync(activeOnly: !all, ct).ConfigureAwait(false);
        var now = app.Time.GetUtcNow();
        if (format == "json")
        {
            await JsonOutput.WriteAsync(w =>
            {
                w.WriteStartArray();
                foreach (var s in silences)
                {
                    w.WriteStartObject();
                    w.WriteNumber("id", s.Id);
                    w.WriteString("state", State(s, now));
                    if (s.RuleName is { } r) w.WriteString("rule", r); else w.WriteNull("rule");
                    w.WriteStartObject("matchers");
                    foreach (var (k, v) in s.Matchers.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(k, v);
                    w.WriteEndObject();
                    w.WriteString("starts_at", s.StartsAt);
                    w.WriteString("ends_at", s.EndsAt);
                    w.WriteTimestamp("expired_at", s.ExpiredAt);
                    w.WriteString("created_by", s.CreatedBy);
                    w.WriteString("created_at", s.CreatedAt);
                    w.WriteString("reason", s.Reason);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }, ct).ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        if (silences.Count == 0)
        {
            app.Out.WriteLine(all ? "no silences" : "no silences in force (--all lists ended ones too)");
            return ExitCodes.Ok;
        }
        var table = new Table().AddColumns("id", "state", "rule", "matchers", "starts", "ends", "by", "reason");
        foreach (var s in silences)
        {
            table.AddRow(
                s.Id.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(State(s, now)),
                Inert.Cell(s.RuleName ?? "(every rule)"),
                Inert.Cell(MatchersText(s, prefix: "") is { Length: > 0 } m ? m : "-", 400),
                DurationText.Timestamp(s.StartsAt),
                DurationText.Timestamp(s.ExpiredAt is { } e && e < s.EndsAt ? e : s.EndsAt),
                Inert.Cell(s.CreatedBy),
                Inert.Cell(s.Reason, 200));
        }
        app.Out.Write(table);
        return ExitCodes.Ok;
    }

    private static async Task<int> ExpireAsync(AppServices app, long id, CancellationToken ct)
    {
        var store = await app.OpenMigratedStoreAsync(ct).ConfigureAwait(false);
        var idText = id.ToString(CultureInfo.InvariantCulture);
        switch (await store.ExpireSilenceAsync(id, ct).ConfigureAwait(false))
        {
            case SilenceExpiry.Expired:
                app.Out.WriteLine($"silence {idText} expired");
                return ExitCodes.Ok;
            case SilenceExpiry.AlreadyExpired:
                app.Out.WriteLine($"silence {idText} was already expired");
                return ExitCodes.Ok;
            default:
                await Console.Error.WriteLineAsync($"blueteam: no silence with id {idText}").ConfigureAwait(false);
                return ExitCodes.NotOk;
        }
    }

    /// <summary>active, pending (starts later), ended (its time ran out) or expired (ended early by someone).</summary>
    private static string State(Silence s, DateTimeOffset now) =>
        s.ExpiredAt is not null ? "expired" : now >= s.EndsAt ? "ended" : now < s.StartsAt ? "pending" : "active";

    private static string MatchersText(Silence s, string prefix) =>
        s.Matchers.Count == 0 ? "" : prefix + string.Join(", ", s.Matchers.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));

    // Under sudo the person is SUDO_USER, not root.
    private static string InvokingUser() =>
        Environment.GetEnvironmentVariable("SUDO_USER") is { Length: > 0 } sudo ? sudo : Environment.UserName;
}
