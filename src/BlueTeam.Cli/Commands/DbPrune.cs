using BlueTeam.Cli.Output;

namespace BlueTeam.Cli.Commands;

/// <summary>
/// `blueteam db prune`: retention by hand or from a timer (the daemon prunes its own host when
/// <c>storage.retention.days</c> is set). Each host's prune is one transaction recorded in its chain, so
/// <c>verify</c> passes afterwards and says what was pruned. Exit 0 when every host was pruned or had nothing old enough.
/// </summary>
internal static class DbPrune
{
    private static readonly Option<int> Days = new("--days") { Description = "Keep this many days (default: storage.retention.days)", DefaultValueFactory = _ => 0 };
    private static readonly Option<string?> Host = new("--host") { Description = "Prune this host's history (default: this host's)" };
    private static readonly Option<bool> AllHosts = new("--all-hosts") { Description = "Prune every host's history (a fleet's administrator, with the owner's connection)" };
    private static readonly Option<bool> DryRun = new("--dry-run") { Description = "Say what would be removed and change nothing" };

    public static Command Build()
    {
        var prune = new Command("prune", "Remove incidents older than the retention period, recording the prune in the audit chain") { Days, Host, AllHosts, DryRun };
        OptionChecks.AtLeast(Days, 1, "between 1 and 36500 days");
        prune.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (app, token) => RunAsync(app, parse, token)));
        return prune;
    }

    private static async Task<int> RunAsync(AppServices app, ParseResult parse, CancellationToken ct)
    {
        if (parse.GetValue(Host) is not null && parse.GetValue(AllHosts))
            return await Usage.ErrorAsync("--host and --all-hosts cannot be used together").ConfigureAwait(false);
        var days = parse.GetValue(Days) is > 0 and var given ? given : app.Config.Storage.Retention.Days;
        if (days > 36_500) return await Usage.ErrorAsync("--days must be between 1 and 36500 days").ConfigureAwait(false);
        if (days <= 0) return await Usage.ErrorAsync("retention is off (storage.retention.days is 0); give --days N to prune anyway").ConfigureAwait(false);
        var store = await app.OpenExistingStoreAsync(ct).ConfigureAwait(false);
        var dryRun = parse.GetValue(DryRun);
        IReadOnlyList<string> hosts = parse.GetValue(AllHosts)
            ? await store.GetChainHostsAsync(ct).ConfigureAwait(false)
            : [parse.GetValue(Host) ?? app.Config.Host];
        var now = app.Time.GetUtcNow();
        foreach (var host in hosts)
        {
            var outcome = await store.PruneAsync(host, days, now, dryRun, ct).ConfigureAwait(false);
            var verb = dryRun ? "would prune" : "pruned";
            Console.Out.WriteLine(outcome.Record is { } record
                ? string.Create(CultureInfo.InvariantCulture,
                    $"{SafeText.Inert(host)}: {verb} {outcome.AlertsRemoved} incidents, {outcome.EntriesRemoved} chain entries (up to {record.PrunedThrough}), {outcome.DeliveriesRemoved} deliveries and {outcome.OtherRowsRemoved} other rows older than {record.Cutoff:yyyy-MM-dd HH:mm}Z")
                : $"{SafeText.Inert(host)}: nothing older than {days.ToString(CultureInfo.InvariantCulture)} days to prune");
        }
        return ExitCodes.Ok;
    }
}
