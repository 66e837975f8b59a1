namespace BlueTeam.Sources;

/// <summary>
/// A producer of raw lines. Runs until cancelled, writing into a bounded channel (waiting when it
/// is full: back-pressure, never a silent drop) and reporting its own failures as
/// <see cref="RawLineKind.CollectorError"/> records rather than going quiet.
/// </summary>
public interface ISource
{
    string Name { get; }

    /// <summary>Reads whatever is new now and returns; the daemon calls it on every wake-up.</summary>
    Task PollAsync(ChannelWriter<RawLine> writer, CancellationToken cancellationToken);
}

/// <summary>Where each file was read up to, committed after the lines before it were processed.</summary>
public sealed record Checkpoint(string Collector, string Path, FileIdentity File, long Offset, DateTimeOffset UpdatedAt)
{
    /// <summary>
    /// Where to start reading again after a restart so the correlator can rebuild the windows
    /// still open at <see cref="Offset"/> (lines before Offset are replayed into the rules
    /// without raising anything: their incidents are already stored). Equal to Offset when
    /// nothing before it is still needed; never greater.
    /// </summary>
    public long ReplayFrom { get; init; } = -1;

    /// <summary>For a journal collector: the journal cursor of the last entry processed (Offset is unused).</summary>
    public string? Cursor { get; init; }

    /// <summary><see cref="ReplayFrom"/> when set, else <see cref="Offset"/>.</summary>
    public long EffectiveReplayFrom => ReplayFrom is >= 0 && ReplayFrom <= Offset ? ReplayFrom : Offset;
}

/// <summary>Storage of checkpoints; implemented by the store.</summary>
public interface ICheckpointStore
{
    Task<IReadOnlyList<Checkpoint>> GetCheckpointsAsync(string collector, CancellationToken cancellationToken);
    /// <summary>Upserts by (collector, path), in one transaction.</summary>
    Task SaveCheckpointsAsync(IReadOnlyCollection<Checkpoint> checkpoints, CancellationToken cancellationToken);
}
