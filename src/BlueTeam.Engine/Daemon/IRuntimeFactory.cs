using BlueTeam.Alerting;

namespace BlueTeam.Engine.Daemon;

/// <summary>
/// What <see cref="RuntimeParts.Build"/> needs made from a config that the engine does not own: the
/// channels (which write to the host's console), the alert engine, the dispatcher and the delivery
/// health monitor. The host's composition (the CLI) implements it, so the daemon's parts are built
/// exactly as every command builds them.
/// </summary>
internal interface IRuntimeFactory
{
    ILoggerFactory Loggers { get; }

    TimeProvider Time { get; }

    IReadOnlyDictionary<string, IAlertChannel> BuildChannels(BlueTeamConfig config);

    /// <summary>The alert engine over <paramref name="store"/>, with the send history, silences and acks of <paramref name="noise"/>.</summary>
    AlertEngine BuildEngine(BlueTeamConfig config, IReadOnlyDictionary<string, IAlertChannel> channels, IAlertStore store, NoiseControlSources noise);

    DeliveryDispatcher BuildDispatcher(BlueTeamConfig config, IReadOnlyDictionary<string, IAlertChannel> channels, IAlertStore store);

    DeliveryHealthMonitor BuildHealthMonitor(BlueTeamConfig config);
}
