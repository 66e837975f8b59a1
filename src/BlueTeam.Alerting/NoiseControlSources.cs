namespace BlueTeam.Alerting;

/// <summary>
/// What the alert engine reads and writes to keep noise down: the per-channel send history, the silences and the
/// acknowledgements. A store offers all three (<c>IBlueTeamStore.NoiseControl</c>); the daemon hands the engine its
/// spooling wrapper's, which keep working while the store is down. Null parts turn that control off.
/// </summary>
public sealed record NoiseControlSources(INotificationLog? Notifications, ISilenceSource? Silences, IAckSource? Acks)
{
    /// <summary>No dedup of updates, no silences, no acks (an engine for a one-off raise).</summary>
    public static NoiseControlSources None { get; } = new(null, null, null);

    /// <summary>All three from one object that keeps them all (a store, or the daemon's spooling wrapper of one).</summary>
    public static NoiseControlSources Of<T>(T source) where T : INotificationLog, ISilenceSource, IAckSource => new(source, source, source);
}
