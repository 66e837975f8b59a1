using BlueTeam.Cli.Output;
using BlueTeam.Correlation;
using Silence = BlueTeam.Storage.Silence;

namespace BlueTeam.Cli.Commands;

/// <summary>
/// `blueteam silence add|list|expire`: time windows in which matching incidents are still stored
/// but not sent (as amtool silences). Which incidents a silence matches is the alert engine's rule.
/// </summary>
internal static class SilenceCommand
{
    public static Command Build()
    {
        var rule = new Option<string?>("--rule") { Description = "The rule (name or id) to silence: the same as the matcher rule=NAME" };
        var match = new Option<string[]>("--match", "-m")
        {
            Description = $"label=value, label!=value, label=~regex or label!~regex that must also hold (repeatable); source.ip=203.0.113.0/24 takes a network. Labels: {string.Join(", ", IncidentLabels.Known)}",
            AllowMultipleArgumentsPerToken = false,
        };
        var matchers = new Argument<string[]>("matchers") { Description = "More matchers, as amtool takes them (rule=ssh_brute_force source.ip=203.0.113.0/24)", Arity = ArgumentArity.ZeroOrMore };
        var start = new Option<string?>("--start") { Description = "When it starts (default now): an ISO 8601 time (UTC unless it says otherwise) or +DURATION from now (+2h)" };
        var duration = new Option<string?>("--duration") { Description = "How long, from its start: 30m, 2h, 7d" };
        var end = new Option<string?>("--end") { Description = "When it ends, instead of --duration: an ISO 8601 time or +DURATION from now" };
        var reason = new Option<string>("--reason") { Description = "Why (kept for the record)", Required = true };
        var by = new Option<string?>("--by") { Description = "Who adds it (default: the invoking user)" };
        var add = new Command("add", "Silence matching incidents for a while (now, or a maintenance window later): they are stored, not sent")
        {
            matchers, rule, match, start, duration, end, reason, by,
        };
        add.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, token) =>
            AddAsync(app, new AddRequest(parse.GetValue(rule), [.. parse.GetValue(match) ?? [], .. parse.GetValue(matchers) ?? []],
                parse.GetValue(start), parse.GetValue(duration), parse.GetValue(end), parse.GetValue(reason)!, parse.GetValue(by)), token)));

        var all = new Option<bool>("--all") { Description = "Also list expired, ended and future silences" };
        var format = new Option<string>("--format", "-f") { Description = "table or json", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        var list = new Command("list", "List the silences in force (all of them with --all)") { all, format };
        list.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, token) => ListAsync(app, parse.GetValue(all), parse.GetValue(format)!, token)));

        var id = new Argument<long>("id") { Description = "The silence's id (from silence list)" };
        var expire = new Command("expire", "End a silence now; it stays listed for the record") { id };
        expire.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, token) => ExpireAsync(app, parse.GetValue(id), token)));

        return new Command("silence", "Silences: stop notifications of matching incidents for a while (as amtool silence)") { add, list, expire };
    }

    private sealed record AddRequest(string? Rule, string[] Matchers, string? Start, string? Duration, string? End, string Reason, string? By);

    private static async Task<int> AddAsync(AppServices app, AddRequest request, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Reason)) return await Usage.ErrorAsync("--reason must say why").ConfigureAwait(false);
        var now = app.Time.GetUtcNow();
        var startsAt = now;
        if (request.Start is { } startText && !TryParseTime(startText, now, out startsAt))
            return await Usage.ErrorAsync($"--start '{Inert.Plain(startText, 40)}' is neither an ISO 8601 time nor +DURATION (+2h)").ConfigureAwait(false);
        if ((request.Duration is null) == (request.End is null))
            return await Usage.ErrorAsync("give either --duration (2h) or --end (an ISO 8601 time or +DURATION)").ConfigureAwait(false);
        DateTimeOffset endsAt;
        if (request.Duration is { } durationText)
        {
            if (!DurationText.TryParse(durationText, out var duration))
                return await Usage.ErrorAsync($"--duration '{Inert.Plain(durationText, 40)}' is not a duration (a whole number and s, m, h, d or w: 30m, 2h, 7d)").ConfigureAwait(false);
            endsAt = startsAt + duration;
        }
        else if (!TryParseTime(request.End!, now, out endsAt))
            return await Usage.ErrorAsync($"--end '{Inert.Plain(request.End, 40)}' is neither an ISO 8601 time nor +DURATION (+2h)").ConfigureAwait(false);
        if (endsAt <= now)
            return await Usage.ErrorAsync($"the silence would end at {DurationText.Timestamp(endsAt)}, which has passed").ConfigureAwait(false);
        if (endsAt <= startsAt)
            return await Usage.ErrorAsync($"the silence would end ({DurationText.Timestamp(endsAt)}) before it starts ({DurationText.Timestamp(startsAt)})").ConfigureAwait(false);

        IEnumerable<string> texts = request.Rule is null ? request.Matchers : [$"{IncidentLabels.Rule}={request.Rule.Trim()}", .. request.Matchers];
        var (matchers, error) = SilenceMatcherCheck.Parse(texts, RuleCatalog.Describe(app.Config.Correlation));
        if (error is not null) return await Usage.ErrorAsync(error).ConfigureAwait(false);
        var who = string.IsNullOrWhiteSpace(request.By) ? InvokingUser() : request.By.Trim();

        var store = await app.OpenMigratedStoreAsync(ct).ConfigureAwait(false);
        var silence = await store.AddSilenceAsync(new NewSilence
        {
            Matchers = matchers,
            StartsAt = startsAt,
            EndsAt = endsAt,
            CreatedBy = who,
            Reason = request.Reason,
        }, ct).ConfigureAwait(false);
        var when = startsAt > now ? $"from {DurationText.Timestamp(startsAt)} " : "";
        app.Out.MarkupLine($"silence {silence.Id.ToString(CultureInfo.InvariantCulture)} added: {Inert.Cell(MatchersText(silence), 400)} {when}until {DurationText.Timestamp(silence.EndsAt)} ({DurationText.Format(endsAt - startsAt)}), by {Inert.Cell(silence.CreatedBy)}");
        return ExitCodes.Ok;
    }

    /// <summary>An ISO 8601 time (UTC unless it says otherwise) or +DURATION from <paramref name="now"/>.</summary>
    private static bool TryParseTime(string text, DateTimeOffset now, out DateTimeOffset at)
    {
        var trimmed = text.Trim();
        if (trimmed.StartsWith('+') && DurationText.TryParse(trimmed[1..], out var ahead))
        {
            at = now + ahead;
            return true;
        }
        if (trimmed == "now")
        {
            at = now;
            return true;
        }
        return DateTimeOffset.TryParse(trimmed, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out at);
    }

    private static async Task<int> ListAsync(AppServices app, bool all, string format, CancellationToken ct)
    {
        var store = await app.OpenExistingStoreAsync(ct).ConfigureAwait(false);
        var silences = await store.ListSilencesAsync(activeOnly: !all, ct).ConfigureAwait(false);
        var now = app.Time.GetUtcNow();
        if (format == "json")
        {
            await JsonOutput.WriteObjectsAsync(silences, (w, s) =>
            {
                w.WriteNumber("id", s.Id);
                w.WriteString("state", State(s, now));
                if (s.RuleName is { } r) w.WriteString("rule", r); else w.WriteNull("rule");
                w.WritePropertyName("matchers");
                SilenceMatcherJson.WriteArray(w, s.Matchers);
                w.WriteString("starts_at", s.StartsAt);
                w.WriteString("ends_at", s.EndsAt);
                w.WriteTimestamp("expired_at", s.ExpiredAt);
                w.WriteString("created_by", s.CreatedBy);
                w.WriteString("created_at", s.CreatedAt);
                w.WriteString("reason", s.Reason);
            }, ct).ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        if (silences.Count == 0)
        {
            app.Out.WriteLine(all ? "no silences" : "no silences in force (--all lists ended ones too)");
            return ExitCodes.Ok;
        }
        var table = new Table().AddColumns("id", "state", "matchers", "starts", "ends", "by", "reason");
        foreach (var s in silences)
        {
            table.AddRow(
                s.Id.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(State(s, now)),
                Inert.Cell(MatchersText(s) is { Length: > 0 } m ? m : "-", 400),
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

    /// <summary>rule=ssh_brute_force, source.ip=203.0.113.0/24 (a silence stored with a rule column shows it as rule=).</summary>
    private static string MatchersText(Silence s) => s.MatchersError is { } error ? $"(unreadable, matches nothing: {error})" :
        string.Join(", ", (s.RuleName is { Length: > 0 } rule ? [$"{IncidentLabels.Rule}={rule}"] : Array.Empty<string>()).Concat(s.Matchers.Select(m => m.ToString())));

    // Under sudo the person is SUDO_USER, not root.
    private static string InvokingUser() =>
        Environment.GetEnvironmentVariable("SUDO_USER") is { Length: > 0 } sudo ? sudo : Environment.UserName;
}
