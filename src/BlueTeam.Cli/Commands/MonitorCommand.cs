using System.CommandLine;
using System.Runtime.InteropServices;
using BlueTeam.Cli.Composition;
using BlueTeam.Cli.Monitoring;
using BlueTeam.Cli.Pipeline;
using BlueTeam.Core.Config;
using BlueTeam.Core.Events;
using BlueTeam.Core.Text;
using BlueTeam.Sources;
using Microsoft.Extensions.Logging;

namespace BlueTeam.Cli.Commands;

/// <summary>`blueteam monitor`: the daemon.</summary>
internal static class MonitorCommand
{
    public static Command Build()
    {
        var cmd = new Command("monitor", "Watch the configured logs and alert in real time until stopped (SIGINT/SIGTERM)");
        cmd.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, RunAsync));
        return cmd;
    }

    private static async Task<int> RunAsync(AppServices app, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);

        var config = app.Config;
        UseBundledSampleIfNothingReadable(config, app);

        // Everything that can be wrong with the config fails here, before the first line is read.
        var rules = app.BuildRules();
        var channels = app.BuildChannels();
        var store = await app.OpenMigratedStoreAsync(stop.Token).ConfigureAwait(false);
        var engine = app.BuildEngine(channels, store);
        var dispatcher = app.BuildDispatcher(channels, store);
        var pipeline = new EventPipeline(AppServices.BuildParsers(), new BlueTeam.Correlation.Correlator(rules, app.Loggers.CreateLogger<BlueTeam.Correlation.Correlator>()));
        var collectors = config.Collectors.Where(c => c.Value.Enabled && c.Value.Type != CollectorType.Journald).ToList();
        foreach (var (name, _) in config.Collectors.Where(c => c.Value.Enabled && c.Value.Type == CollectorType.Journald))
            app.Loggers.CreateLogger("blueteam.monitor").LogWarning("Collector {Name}: journald is not supported yet; it is not read", name);

        IReadOnlyList<ISource> CreateSources() => collectors
            .Select(c => (ISource)new FileTailer(c.Key, c.Value, store, app.Loggers.CreateLogger($"blueteam.source.{c.Key}")))
            .ToList();

        var daemon = new MonitorDaemon(new MonitorParts(
            config, CreateSources, collectors.SelectMany(c => c.Value.Paths).ToList(), pipeline, engine, dispatcher, store,
            rules.Count(r => r.Descriptor.Enabled), app.Out, app.Time, app.Loggers.CreateLogger("blueteam.monitor")));
        return await daemon.RunAsync(stop.Token).ConfigureAwait(false);

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true; // we exit ourselves, after the summary
            stop.Cancel();
        }
    }

    /// <summary>
    /// A newcomer running blueteam with no config on a machine whose logs it cannot read still
    /// sees it work: the bundled sample auth.log is watched instead, and that is said loudly.
    /// </summary>
    private static void UseBundledSampleIfNothingReadable(BlueTeamConfig config, AppServices app)
    {
        if (config.Origin != "built-in defaults") return;
        var paths = config.Collectors.Values.SelectMany(c => c.Paths);
        if (paths.Any(CanRead)) return;
        var sample = Path.Combine(AppContext.BaseDirectory, "samples", "auth.log");
        app.Loggers.CreateLogger("blueteam.monitor").LogWarning(
            "No config file and none of {Paths} is readable: watching the bundled sample {Sample} instead", string.Join(", ", paths), sample);
        config.Collectors = new() { ["sample"] = new CollectorOptions { Type = CollectorType.Auth, Paths = [sample] } };
        // In this demonstration every alert also shows on the console, so the newcomer sees it.
        config.Alerting.Routing = new()
        {
            [Severity.Critical] = ["email", "syslog", "console"],
            [Severity.High] = ["email", "syslog", "console"],
            [Severity.Medium] = ["syslog", "console"],
            [Severity.Low] = ["syslog", "console"],
        };
    }

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
