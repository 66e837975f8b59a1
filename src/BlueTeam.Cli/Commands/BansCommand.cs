using BlueTeam.Cli.Output;
using BlueTeam.Response;

namespace BlueTeam.Cli.Commands;

/// <summary>
/// `blueteam bans list|add|remove`: the response stage's decisions, and people's. Every change is
/// a row of the bans table (nothing is deleted: a removal sets lifted_at). nftables is changed
/// only when response.enabled is on and response.mode is enforce; otherwise the decision is
/// recorded as dry-run.
/// </summary>
internal static class BansCommand
{
    public static Command Build()
    {
        var all = new Option<bool>("--all") { Description = "Also list lifted, expired, dry-run and reported decisions" };
        var format = new Option<string>("--format", "-f") { Description = "table or json", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        var list = new Command("list", "List the bans in force (every decision with --all)") { all, format };
        list.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, token) => ListAsync(app, parse.GetValue(all), parse.GetValue(format)!, token)));

        var target = new Argument<string>("target") { Description = "An address or a CIDR prefix: 203.0.113.7, 2001:db8:1:2::/64" };
        var duration = new Option<string>("--duration") { Description = "How long, from now: 30m, 2h, 7d", Required = true };
        var reason = new Option<string>("--reason") { Description = "Why (kept for the record)", Required = true };
        var add = new Command("add", "Ban an address or prefix for a while") { target, duration, reason };
        add.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, token) =>
            AddAsync(app, parse.GetValue(target)!, parse.GetValue(duration)!, parse.GetValue(reason)!, token)));

        var removeTarget = new Argument<string>("target") { Description = "The address or prefix, as bans list shows it" };
        var remove = new Command("remove", "Lift the bans of an address or prefix now; they stay listed for the record") { removeTarget };
        remove.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, token) => RemoveAsync(app, parse.GetValue(removeTarget)!, token)));

        return new Command("bans", "Active response: bans decided by rules and people") { list, add, remove };
    }

    private static bool Enforcing(BlueTeamConfig config) => config.Response.Enabled && config.Response.Mode == ResponseMode.Enforce;

    private static async Task<int> AddAsync(AppServices app, string targetText, string durationText, string reason, CancellationToken ct)
    {
        if (!BanTarget.TryParse(targetText, out var target))
            return await Usage.ErrorAsync($"'{Inert.Plain(targetText, 64)}' is not an address or a CIDR prefix (203.0.113.7, 2001:db8::/64)").ConfigureAwait(false);
        if (!DurationText.TryParse(durationText, out var duration))
            return await Usage.ErrorAsync($"--duration '{Inert.Plain(durationText, 40)}' is not a duration (a whole number and s, m, h, d or w: 30m, 2h, 7d)").ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(reason)) return await Usage.ErrorAsync("--reason must say why").ConfigureAwait(false);
        var config = app.Config;
        var ignore = new IgnoreList(config.Response.Ignore, IgnoreList.HostAddresses());
        if (ignore.Covering(target.Value) is { } ignored)
            return await Usage.ErrorAsync($"{target} overlaps {ignored} in the ignore list (loopback, this host's addresses and response.ignore are never banned)").ConfigureAwait(false);

        var store = await app.OpenMigratedStoreAsync(ct).ConfigureAwait(false);
        var now = app.Time.GetUtcNow();
        var enforce = Enforcing(config);
        if (enforce)
        {
            var firewall = new NftablesFirewall();
            try
            {
                await firewall.EnsureAsync(ct).ConfigureAwait(false);
                await firewall.AddAsync([new TimedBan(target.Value, duration)], ct).ConfigureAwait(false);
            }
            catch (FirewallException e)
            {
                await Console.Error.WriteLineAsync($"blueteam: ban not applied, nothing recorded: {Inert.Plain(e.Message, 400)}").ConfigureAwait(false);
                return ExitCodes.NotOk;
            }
        }
        var ban = await store.AddBanAsync(new NewBan
        {
            Host = config.Host,
            Target = target.Value.ToString(),
            Reason = reason,
            By = InvokingUser(),
            Action = enforce ? BanAction.Enforced : BanAction.DryRun,
            From = now,
            Until = now + duration,
        }, ct).ConfigureAwait(false);
        await AuditAsync(app, ban.Target, "added", ban.By, $"until {DurationText.Timestamp(ban.Until)} ({BanActionNames.Name(ban.Action)}): {reason}", ct).ConfigureAwait(false);
        app.Out.MarkupLine($"ban {ban.Id.ToString(CultureInfo.InvariantCulture)}: {Inert.Cell(ban.Target)} until {DurationText.Timestamp(ban.Until)} ({DurationText.Format(duration)}), by {Inert.Cell(ban.By)}"
            + (enforce ? "" : " [yellow](recorded only: response is not enabled in enforce mode)[/]"));
        return ExitCodes.Ok;
    }

    private static async Task<int> RemoveAsync(AppServices app, string targetText, CancellationToken ct)
    {
        if (!BanTarget.TryParse(targetText, out var target))
            return await Usage.ErrorAsync($"'{Inert.Plain(targetText, 64)}' is not an address or a CIDR prefix (203.0.113.7, 2001:db8::/64)").ConfigureAwait(false);
        var store = await app.OpenMigratedStoreAsync(ct).ConfigureAwait(false);
        var lifted = await store.LiftBansAsync(target.Value.ToString(), InvokingUser(), app.Time.GetUtcNow(), ct).ConfigureAwait(false);
        if (lifted.Count == 0)
        {
            await Console.Error.WriteLineAsync($"blueteam: no ban in force for {Inert.Plain(target.Value.ToString(), 64)}").ConfigureAwait(false);
            return ExitCodes.NotOk;
        }
        if (Enforcing(app.Config) && lifted.Any(b => b.Action == BanAction.Enforced))
        {
            try
            {
                await new NftablesFirewall().RemoveAsync([target.Value], ct).ConfigureAwait(false);
            }
            catch (FirewallException e)
            {
                await Console.Error.WriteLineAsync($"blueteam: lifted in the record, but nftables refused the removal: {Inert.Plain(e.Message, 400)}").ConfigureAwait(false);
                return ExitCodes.NotOk;
            }
        }
        await AuditAsync(app, target.Value.ToString(), "lifted", lifted[0].LiftedBy ?? InvokingUser(), $"{lifted.Count} ban(s) lifted", ct).ConfigureAwait(false);
        app.Out.MarkupLine($"{lifted.Count.ToString(CultureInfo.InvariantCulture)} ban(s) of {Inert.Cell(target.Value.ToString())} lifted");
        return ExitCodes.Ok;
    }

    private static async Task<int> ListAsync(AppServices app, bool all, string format, CancellationToken ct)
    {
        var store = await app.OpenMigratedStoreAsync(ct).ConfigureAwait(false);
        var now = app.Time.GetUtcNow();
        var host = app.Config.Response.Share == ResponseShare.Fleet ? null : app.Config.Host;
        var bans = await store.ListBansAsync(activeOnly: !all, host, now, ct).ConfigureAwait(false);
        if (format == "json")
        {
            await JsonOutput.WriteObjectsAsync(bans, (w, b) =>
            {
                w.WriteNumber("id", b.Id);
                w.WriteString("state", State(b, now));
                w.WriteString("target", b.Target);
                w.WriteString("action", BanActionNames.Name(b.Action));
                w.WriteString("host", b.Host);
                if (b.Rule is { } r) w.WriteString("rule", r); else w.WriteNull("rule");
                if (b.IncidentFingerprint is { } f) w.WriteString("incident", f); else w.WriteNull("incident");
                w.WriteString("from", b.From);
                w.WriteString("until", b.Until);
                w.WriteTimestamp("lifted_at", b.LiftedAt);
                if (b.LiftedBy is { } lb) w.WriteString("lifted_by", lb); else w.WriteNull("lifted_by");
                w.WriteString("by", b.By);
                w.WriteString("reason", b.Reason);
                w.WriteString("evidence", b.Evidence);
            }, ct).ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        if (bans.Count == 0)
        {
            app.Out.WriteLine(all ? "no bans" : "no bans in force (--all lists every decision)");
            return ExitCodes.Ok;
        }
        var table = new Table().AddColumns("id", "state", "target", "action", "rule", "from", "until", "by", "reason");
        foreach (var b in bans)
        {
            table.AddRow(
                b.Id.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(State(b, now)),
                Inert.Cell(b.Target),
                Markup.Escape(BanActionNames.Name(b.Action)),
                Inert.Cell(b.Rule ?? "(person)"),
                DurationText.Timestamp(b.From),
                DurationText.Timestamp(b.LiftedAt is { } l && l < b.Until ? l : b.Until),
                Inert.Cell(b.By),
                Inert.Cell(b.Reason, 200));
        }
        app.Out.Write(table);
        return ExitCodes.Ok;
    }

    /// <summary>A person's change goes into the alert history (info: stored and chained, routed only if info is routed).</summary>
    private static async Task AuditAsync(AppServices app, string target, string change, string by, string reason, CancellationToken ct)
    {
        var store = await app.OpenMigratedStoreAsync(ct).ConfigureAwait(false);
        var engine = app.BuildEngine(app.BuildChannels(), store);
        await engine.RaiseAsync(BanChangeIncident.Create(app.Config.Host, target, change, by, reason, app.Time.GetUtcNow()), ct).ConfigureAwait(false);
    }

    /// <summary>active, ended (its time ran out) or lifted (ended early by someone).</summary>
    private static string State(BanRecord b, DateTimeOffset now) =>
        b.LiftedAt is not null ? "lifted" : now >= b.Until ? "ended" : "active";

    // Under sudo the person is SUDO_USER, not root.
    private static string InvokingUser() =>
        Environment.GetEnvironmentVariable("SUDO_USER") is { Length: > 0 } sudo ? sudo : Environment.UserName;
}
