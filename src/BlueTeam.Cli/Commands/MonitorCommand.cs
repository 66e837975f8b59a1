using System.Runtime.InteropServices;
using BlueTeam.Cli.Monitoring;
using BlueTeam.Engine.Daemon;
using BlueTeam.Core.Diagnostics;
using BlueTeam.Correlation;
using BlueTeam.Sources;
using BlueTeam.Sources.Transports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BlueTeam.Cli.Commands;

/// <summary>
/// `blueteam monitor`: the daemon. One hosted worker per stage (sources → pipeline → delivery,
/// plus the heartbeat), joined by a bounded queue. SIGINT/SIGTERM drain and commit, then print
/// the session summary and exit 0; SIGHUP reloads rules, routes and channels, keeping the
/// running configuration when the new one is invalid.
/// </summary>
internal static class MonitorCommand
{
    private static readonly Option<bool> NoDashboard = new("--no-dashboard") { Description = "Plain log lines instead of the live dashboard, even on a terminal" };

    public static Command Build()
    {
        var cmd = new Command("monitor", "Watch the configured logs and alert in real time until stopped (SIGINT/SIGTERM; SIGHUP reloads the config)") { NoDashboard, RootGuard.AllowRootOption };
        cmd.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (app, token) =>
        {
            // A monitor reading attacker-controlled text should not hold root's privileges unless told to.
            if (RootGuard.Refusal(app.Config, parse.GetValue(RootGuard.AllowRootOption)) is { } why)
            {
                await Console.Error.WriteLineAsync(why).ConfigureAwait(false);
                return ExitCodes.ConfigError;
            }
            return await RunAsync(app, !parse.GetValue(NoDashboard) && CanDrawDashboard(), token).ConfigureAwait(false);
        }));
        return cmd;
    }

    /// <summary>The dashboard needs a real terminal on stdout; under systemd (the journal) it is always plain.</summary>
    internal static bool CanDrawDashboard() =>
        !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("TERM") is { Length: > 0 } term && term != "dumb"
        && Environment.GetEnvironmentVariable("INVOCATION_ID") is null;

    /// <summary>Runs the daemon until a signal, or until <paramref name="ct"/> is cancelled (the demo stops it that way).</summary>
    internal static async Task<int> RunAsync(AppServices app, bool dashboard, CancellationToken ct)
    {
        // SIGTERM or SIGINT before the host's own handlers exist (while the store opens, right after the
        // banner) would kill the process outright (exit 143) with nothing drained: catch them from the start
        // and stop the host as soon as it runs, the same orderly way as later.
        using var earlyStop = new CancellationTokenSource();
        using var earlyTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; earlyStop.Cancel(); });
        using var earlyInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; earlyStop.Cancel(); });
        var config = app.Config;
        LogRing? ring = null;
        if (dashboard)
        {
            ring = new LogRing();
            var ringLoggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Information).AddFilter("Microsoft", LogLevel.Warning).AddProvider(ring));
            app.Redirect(ringLoggers, AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(ring.Writer()),
                Ansi = AnsiSupport.No,
                ColorSystem = ColorSystemSupport.NoColors,
            }));
        }
        var log = app.Loggers.CreateLogger("blueteam.monitor");
        UseBundledSampleIfNothingReadable(config, log);

        // [seal #15] Files made loose (umask, a copy, a hand) are tightened before the store opens them, and said.
        var tightened = FileHygiene.Tighten([
            .. config.Database.Driver == DatabaseDriver.Sqlite ? FileHygiene.SqliteFiles(config.Database.ResolveSqlitePath()) : [],
            (SpoolPath.For(config), FileHygiene.OwnerReadWrite), (config.Storage.Sealing.ResolveStatePath(), FileHygiene.OwnerRead)]);
        foreach (var change in tightened) log.LogWarning("File mode tightened (it held the history and was open to others): {Change}", change.ToString());
        // Everything that can be wrong with the config fails here, before the first line is read.
        var store = await app.OpenMigratedStoreAsync(ct).ConfigureAwait(false);
        var checkpoints = BlueTeam.Storage.Fleet.HostCheckpointStore.For(store, config.Host); // [fleetsec #19] read positions are per host
        using var spool = new SpoolingAlertStore(store, SpoolPath.For(config), app.Time);
        // First-seen history (new_login_source) lives in the store, written behind in batches by the heartbeat worker.
        var firstSeen = await PersistentFirstSeenStore.LoadAsync(store, logger: app.Loggers.CreateLogger("blueteam.first_seen"), cancellationToken: ct).ConfigureAwait(false);
        // The spool is the engine's store *and* its source of silences, acks and send history, so a store outage spools instead of failing.
        var runtime = new DaemonRuntime(RuntimeParts.Build(app, config, spool, NoiseControlSources.Of(spool), firstSeen, previous: null));
        // [response #16] the response stage: bans restored now, decisions after each raise (PipelineWorker).
        var response = BlueTeam.Response.ResponseStage.Create(config.Response, config.Host, (BlueTeam.Response.IBanStore)store,
            async (incidents, token) => await runtime.Current.Engine.RaiseAllAsync(incidents, token).ConfigureAwait(false), app.Time, app.Loggers.CreateLogger("blueteam.response"));
        await response.StartAsync(ct).ConfigureAwait(false);
        var stats = new DaemonStats { StartedAt = app.Time.GetUtcNow() };
        var collectors = config.Collectors.Where(c => c.Value.Enabled).ToList();
        // First start (no checkpoint anywhere): what the logs already hold is stored but sent as one digest per channel.
        if (config.Alerting.FirstStartDigest && await IsFirstStartAsync(checkpoints, collectors.Select(c => c.Key), ct).ConfigureAwait(false))
        {
            runtime.Current.Engine.History = new BlueTeam.Alerting.FirstStartDigest(stats.StartedAt);
            log.LogInformation("First start: incidents that ended before {Start} are stored and sent as one digest per channel", stats.StartedAt);
        }
        var sources = collectors
            .Select(c => SourceTransports.Default.Create(c.Key, c.Value, new SourceContext(checkpoints, app.Loggers.CreateLogger($"blueteam.source.{c.Key}"), app.Time)))
            .ToList();
        foreach (var c in collectors) stats.Sources[c.Key] = new SourceStats();

        PrintBanner(app.Out, sources.Count, runtime.Current, store);

        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, Args = [] });
        builder.Services.Replace(ServiceDescriptor.Singleton(app.Loggers));
        builder.Services.AddSystemd(); // Type=notify: READY/STOPPING, journal-friendly logs under systemd
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o =>
        {
            o.ShutdownTimeout = TimeSpan.FromSeconds(60);
            o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.StopHost;
        });
        builder.Services.AddSingleton(app.Time);
        builder.Services.AddSingleton(runtime);
        builder.Services.AddSingleton(stats);
        builder.Services.AddSingleton<LineQueue>();
        builder.Services.AddSingleton(sp =>
        {
            var meter = new BlueTeamMeter();
            DaemonMetrics.Register(meter, stats, sp.GetRequiredService<LineQueue>(), runtime, app.Time);
            ResponseMetrics.Register(meter, response.Counters);
            return meter;
        });
        builder.Services.AddSingleton<WakeSignal>();
        builder.Services.AddSingleton<IBlueTeamStore>(store);
        builder.Services.AddSingleton(checkpoints);
        builder.Services.AddSingleton(spool);
        builder.Services.AddSingleton(firstSeen);
        builder.Services.AddSingleton(response); // [response #16]
        if (config.Monitoring.Metrics.Enabled)
            builder.Services.AddHostedService(sp => new MetricsWorker(config.Monitoring.Metrics, sp.GetRequiredService<BlueTeamMeter>(), sp.GetRequiredService<ILogger<MetricsWorker>>()));
        if (ring is not null)
        {
            builder.Services.AddSingleton(ring);
            builder.Services.AddHostedService(sp => new DashboardWorker(app.Out, stats, runtime, sp.GetRequiredService<LineQueue>(), ring, store.Description, app.Time));
        }
        // Stopped in reverse order: sources first, then the pipeline drains, deliveries finish, the last heartbeat is written.
        // [seal #15] registered first, so it seals before the others start and after they stopped.
        using var sealer = new BlueTeam.Storage.Sealing.ChainSealer(config.Storage.Sealing.ResolveStatePath(), config.Host, store, store, app.Time);
        builder.Services.AddHostedService(sp => new SealWorker(sealer, runtime, store, stats, app.Time, sp.GetRequiredService<ILogger<SealWorker>>()));
        builder.Services.AddHostedService<HeartbeatWorker>();
        builder.Services.AddHostedService(sp => new StoreWatcher(store, sealer, runtime, stats, sp.GetRequiredService<WakeSignal>(), app.Time, sp.GetRequiredService<ILogger<StoreWatcher>>())); // [seal #15]
        builder.Services.AddHostedService(sp => new RetentionWorker(store, runtime, stats, app.Time, sp.GetRequiredService<ILogger<RetentionWorker>>()));
        builder.Services.AddHostedService<DeliveryWorker>();
        FleetServices.AddTo(builder.Services, config, stats, app.Time); // [fleet #19] before the pipeline: stops after its drain
        builder.Services.AddHostedService<PipelineWorker>();
        builder.Services.AddHostedService(sp => new SourceWorker(
            sources, collectors.SelectMany(c => c.Value.Paths).ToList(), sp.GetRequiredService<LineQueue>(), runtime, sp.GetRequiredService<ILogger<SourceWorker>>()));

        using var host = builder.Build();
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            Reload(app, runtime, spool, firstSeen, stats, log);
        });

        var workers = host.Services.GetServices<IHostedService>().OfType<BackgroundService>().ToList();
        await host.StartAsync(CancellationToken.None).ConfigureAwait(false);
        using var stopOnCancel = ct.Register(() => host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication());
        using var stopOnEarlySignal = earlyStop.Token.Register(() => host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication());
        await host.WaitForShutdownAsync(CancellationToken.None).ConfigureAwait(false);

        var failed = workers.Where(s => s.ExecuteTask is { IsFaulted: true }).ToList();
        foreach (var f in failed)
            log.LogCritical(f.ExecuteTask!.Exception, "{Worker} failed; the daemon stopped", f.GetType().Name);

        PrintSummary(app.Out, stats, app.Time);
        return failed.Count == 0 ? ExitCodes.Ok : ExitCodes.NotOk;
    }

    private static async Task<bool> IsFirstStartAsync(ICheckpointStore store, IEnumerable<string> collectors, CancellationToken ct)
    {
        foreach (var collector in collectors)
            if ((await store.GetCheckpointsAsync(collector, ct).ConfigureAwait(false)).Count > 0) return false;
        return true;
    }

    private static void Reload(AppServices app, DaemonRuntime runtime, SpoolingAlertStore spool, PersistentFirstSeenStore firstSeen, DaemonStats stats, ILogger log)
    {
        BlueTeamConfig? next = null;
        try
        {
            next = ConfigLoader.Load(app.ConfigPath);
            AppServices.CheckCollectors(next);
            if (!next.Collectors.Keys.Order(StringComparer.Ordinal).SequenceEqual(runtime.Current.Config.Collectors.Keys.Order(StringComparer.Ordinal), StringComparer.Ordinal)
                && runtime.Current.Config.Origin != "built-in defaults")
                log.LogWarning("Collectors changed in the config: that takes a restart; rules, routes and channels are reloaded now");
            next.Collectors = runtime.Current.Config.Collectors;
            runtime.Swap(RuntimeParts.Build(app, next, spool, NoiseControlSources.Of(spool), firstSeen, runtime.Current));
            stats.Reloaded();
            log.LogInformation("Configuration reloaded from {Origin}", next.Origin);
        }
        catch (ConfigException refused)
        {
            var e = next is null ? refused : next.Locations.Locate(refused, next.Origin);
            log.LogError("Configuration reload refused, the running configuration is kept:{NewLine}{Errors}",
                Environment.NewLine, string.Join(Environment.NewLine, e.Errors.Select(x => "  " + SafeText.Inert(x.ToString()))));
        }
    }

    private static void PrintBanner(IAnsiConsole console, int collectors, RuntimeParts parts, IBlueTeamStore store)
    {
        console.MarkupLine("[bold green]Blue Team Monitor Started[/]");
        console.MarkupLine($"  Collectors: {collectors} enabled");
        console.MarkupLine($"  Rules: {parts.Rules.Count(r => r.Descriptor.Enabled)} active");
        console.MarkupLine($"  Poll interval: {parts.Config.Monitoring.PollIntervalSec}s");
        console.MarkupLine($"  Store: {Markup.Escape(store.Description)}");
        if (parts.Rules.Any(r => r.Descriptor.Name == "failpoint_rule_throws"))
            console.MarkupLine($"  [bold yellow]Failpoint on ({Failpoint.RuleThrowsVariable}): a rule throws on purpose[/]");
        console.MarkupLine("  Press Ctrl+C to stop");
        console.WriteLine();
    }

    private static void PrintSummary(IAnsiConsole console, DaemonStats stats, TimeProvider time)
    {
        var uptime = time.GetUtcNow() - stats.StartedAt;
        console.WriteLine();
        console.MarkupLine("[bold yellow]Monitor stopped.[/]");
        console.MarkupLine("[bold]Session Summary:[/]");
        console.MarkupLine($"  Uptime: {uptime:d\\.hh\\:mm\\:ss}");
        console.MarkupLine($"  Events collected: {stats.Events}");
        console.MarkupLine($"  Incidents detected: {stats.IncidentsNew} ({stats.IncidentUpdates} updates)");
        console.MarkupLine($"  Alerts delivered: {stats.Delivered}");
        console.MarkupLine($"  Deliveries failed: {stats.DeliveryFailed}");
        var pending = stats.Pending.Values.Sum();
        if (pending > 0)
            console.MarkupLine($"  Deliveries still pending (sent at the next start): {pending} ({string.Join(", ", stats.Pending.Where(p => p.Value > 0).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{Markup.Escape(p.Key)} {p.Value}"))})");
        if (stats.Spooled > 0) console.MarkupLine($"  Incidents spooled while the store was down: {stats.Spooled}");
        if (stats.StoreErrors > 0) console.MarkupLine($"  Store errors (retried): {stats.StoreErrors}");
    }

    /// <summary>
    /// A newcomer running blueteam with no config on a machine whose logs it cannot read still
    /// sees it work: the bundled sample auth.log is watched instead, and that is said loudly.
    /// </summary>
    private static void UseBundledSampleIfNothingReadable(BlueTeamConfig config, ILogger log)
    {
        if (config.Origin != "built-in defaults") return;
        var paths = config.Collectors.Values.SelectMany(c => c.Paths).ToList();
        if (paths.Any(CanRead)) return;
        if (JournalHasEntries())
        {
            // Debian 12 and others keep auth messages only in the journal: read it there.
            log.LogWarning("No config file and none of {Paths} is readable: reading the systemd journal instead", string.Join(", ", paths));
            config.Collectors = new() { ["journal"] = new CollectorOptions { Type = BlueTeam.Parsing.Journal.JournalFormat.FormatName } };
            return;
        }
        var sample = Path.Combine(AppContext.BaseDirectory, "samples", "auth.log");
        log.LogWarning("No config file and none of {Paths} is readable: watching the bundled sample {Sample} instead", string.Join(", ", paths), sample);
        config.Collectors = new() { ["sample"] = new CollectorOptions { Type = BlueTeam.Parsing.Auth.AuthLogFormat.FormatName, Paths = [sample] } };
        // In this demonstration every alert also shows on the console, so the newcomer sees it.
        config.Alerting.Routing = new()
        {
            [Severity.Critical] = ["email", "syslog", "console"],
            [Severity.High] = ["email", "syslog", "console"],
            [Severity.Medium] = ["syslog", "console"],
            [Severity.Low] = ["syslog", "console"],
        };
    }

    private static readonly string[] JournalDirectories = ["/var/log/journal", "/run/log/journal"];

    private static bool JournalHasEntries() =>
        JournalDirectories.Any(dir => Directory.Exists(dir)
            && Directory.EnumerateFiles(dir, "*.journal", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true }).Any());

    private static bool CanRead(string path)
    {
        try
        {
            using var _ = File.OpenRead(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
