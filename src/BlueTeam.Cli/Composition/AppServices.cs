using BlueTeam.Alerting.Channels;
using BlueTeam.Correlation;
using BlueTeam.Parsing;
using BlueTeam.Engine.Daemon;
using BlueTeam.Sources.Transports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace BlueTeam.Cli.Composition;

/// <summary>
/// The one place where the stages are composed: config, logging, store, parsers, rules,
/// channels, engine. Commands ask for what they need; everything is built the same way for the
/// daemon, `scan` and `config check`.
/// </summary>
internal sealed class AppServices : IRuntimeFactory, IAsyncDisposable
{
    private IBlueTeamStore? _store;

    private AppServices(BlueTeamConfig config, ILoggerFactory loggers, string? configPath)
    {
        Config = config;
        Loggers = loggers;
        ConfigPath = configPath;
    }

    /// <summary>The --config value, so SIGHUP reloads from the same place.</summary>
    public string? ConfigPath { get; }

    public BlueTeamConfig Config { get; }
    public ILoggerFactory Loggers { get; private set; }
    public TimeProvider Time { get; } = TimeProvider.System;

    /// <summary>Where the console channel and the banner write: stderr, so stdout stays for data (scan --format jsonl).</summary>
    public IAnsiConsole AlertConsole { get; private set; } = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    /// <summary>
    /// Sends logs and console alerts to <paramref name="loggers"/> and <paramref name="alertConsole"/> from now on:
    /// the live dashboard owns the terminal and shows them itself.
    /// </summary>
    public void Redirect(ILoggerFactory loggers, IAnsiConsole alertConsole)
    {
        Loggers.Dispose();
        Loggers = loggers;
        AlertConsole = alertConsole;
    }

    /// <summary>Standard output, for the banner, the summary and listings (as the seed printed them).</summary>
    public IAnsiConsole Out { get; } = CreateOut();

    private static IAnsiConsole CreateOut()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        // Piped into a file or a pager, tables get room instead of the 80 columns Spectre assumes.
        if (Console.IsOutputRedirected) console.Profile.Width = 240;
        return console;
    }

    public static AppServices Load(string? configPath)
    {
        var config = ConfigLoader.Load(configPath);
        CheckCollectors(config);
        var loggers = LoggerFactory.Create(b => b
            .SetMinimumLevel(LogLevel.Information)
            .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss "; o.ColorBehavior = LoggerColorBehavior.Disabled; })
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace) // logs on stderr; stdout is for data
            .AddFilter("Microsoft", LogLevel.Warning));
        return new AppServices(config, loggers, configPath);
    }

    /// <summary>
    /// Refuses a collector whose format or transport no registry knows, or whose keys they refuse (Core knows neither),
    /// as the loader refuses a config: every problem at once, each with its line.
    /// </summary>
    public static void CheckCollectors(BlueTeamConfig config)
    {
        var errors = LogFormats.Default.Problems(config.Collectors).Concat(SourceTransports.Default.Problems(config.Collectors)).ToList();
        if (errors.Count > 0) throw config.Locations.Locate(new ConfigException(config.Origin, errors), config.Origin);
    }

    /// <summary>The store, opened on first use (migrations applied by the caller that needs them).</summary>
    public IBlueTeamStore Store => _store ??= StoreFactory.Create(Config.Database);

    /// <summary>
    /// The store for a command that only reads it (alerts list, status, verify, report, …): an SQLite file
    /// that does not exist is not created (an empty history would pass for a clean one); it is said so, exit 3.
    /// </summary>
    /// <exception cref="NoStoreException">The configured SQLite file does not exist.</exception>
    public Task<IBlueTeamStore> OpenExistingStoreAsync(CancellationToken ct)
    {
        if (Config.Database.Driver == DatabaseDriver.Sqlite && Config.Database.ResolveSqlitePath() is var path && !File.Exists(path))
            throw new NoStoreException(path);
        return OpenMigratedStoreAsync(ct);
    }

    public async Task<IBlueTeamStore> OpenMigratedStoreAsync(CancellationToken ct)
    {
        var applied = await Store.MigrateAsync(ct).ConfigureAwait(false);
        if (applied.Count > 0)
            Loggers.CreateLogger("blueteam.store").LogInformation("Applied store migrations {Versions} to {Store}", string.Join(",", applied), Store.Description);
        return Store;
    }

    /// <summary>The rules for an ad-hoc run (scan, rules test): in-memory first-seen history, no expected sources.</summary>
    public IReadOnlyList<IRule> BuildRules() => RuleCatalog.Build(Config.Correlation, new RuleContext { Host = Config.Host, Time = Time });

    public Correlator BuildCorrelator() => new(BuildRules(), Loggers.CreateLogger<Correlator>());

    public IReadOnlyDictionary<string, IAlertChannel> BuildChannels() => BuildChannels(Config);

    public IReadOnlyDictionary<string, IAlertChannel> BuildChannels(BlueTeamConfig config) => ChannelFactory.Create(config.Alerting, AlertConsole, Loggers, Time);

    public AlertEngine BuildEngine(IReadOnlyDictionary<string, IAlertChannel> channels, IBlueTeamStore store) => BuildEngine(Config, channels, store, store.NoiseControl);

    /// <summary>The engine with everything the store offers for noise control (send history, silences, acks).</summary>
    public AlertEngine BuildEngine(BlueTeamConfig config, IReadOnlyDictionary<string, IAlertChannel> channels, IAlertStore store, NoiseControlSources noise) =>
        new(new AlertRouter(config.Alerting, channels.Keys), store, config.Host, config.Alerting, Time,
            noise.Notifications, noise.Silences, noise.Acks, Loggers.CreateLogger<AlertEngine>());

    public DeliveryDispatcher BuildDispatcher(IReadOnlyDictionary<string, IAlertChannel> channels, IAlertStore store) => BuildDispatcher(Config, channels, store);

    public DeliveryDispatcher BuildDispatcher(BlueTeamConfig config, IReadOnlyDictionary<string, IAlertChannel> channels, IAlertStore store) =>
        new(store, channels, Time, retry: null, Loggers.CreateLogger<DeliveryDispatcher>(), DeliveryGrouping.From(config.Alerting));

    public DeliveryHealthMonitor BuildHealthMonitor(BlueTeamConfig config) =>
        new(config.Alerting.DeliveryFailure, config.Host, Time, Loggers.CreateLogger<DeliveryHealthMonitor>());

    /// <summary>
    /// Everything the daemon validates at start, so `config check` fails exactly when the daemon would (the collectors'
    /// formats and transports were checked by <see cref="Load"/>, the only way to an instance).
    /// </summary>
    public void ValidateAll()
    {
        BuildRules();
        var channels = BuildChannels();
        _ = new AlertRouter(Config.Alerting, channels.Keys);
    }

    public async ValueTask DisposeAsync()
    {
        if (_store is not null) await _store.DisposeAsync().ConfigureAwait(false);
        Loggers.Dispose();
    }
}
