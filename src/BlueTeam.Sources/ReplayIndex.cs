namespace BlueTeam.Sources;

/// <summary>
/// Maps event time back to file offsets, per file, so a checkpoint can say how far back to
/// re-read after a crash for the correlator to rebuild the windows still open
/// (<see cref="Checkpoint.ReplayFrom"/>). One entry per second of event time per file, pruned
/// as windows close, and never more than <see cref="MaxLookback"/> back.
/// </summary>
public sealed class ReplayIndex
{
    /// <summary>A window open longer than this is not rebuilt after a crash (it may split in two).</summary>
    public static readonly TimeSpan MaxLookback = TimeSpan.FromHours(24);
    private const int MaxEntriesPerFile = 200_000;

    private readonly Dictionary<(string Collector, string Path), FileEntries> _files = [];

    /// <summary>Notes that the line starting at <paramref name="line"/>.Offset carries an event of <paramref name="eventTime"/>.</summary>
    public void Record(RawLine line, DateTimeOffset eventTime)
    {
        if (line.Kind != RawLineKind.Line) return;
        var key = (line.Collector, line.Path);
        if (!_files.TryGetValue(key, out var f) || f.File != line.File || (f.Entries.Count > 0 && line.Offset < f.Entries[^1].Offset))
            _files[key] = f = new FileEntries(line.File); // another file (rotation, truncation): its offsets start again
        var second = eventTime.ToUnixTimeSeconds();
        if (f.Entries.Count > 0 && f.Entries[^1].Second >= second) return; // keep the first offset of each second
        if (f.Entries.Count >= MaxEntriesPerFile) f.Entries.RemoveRange(0, MaxEntriesPerFile / 10);
        f.Entries.Add((second, line.Offset));
    }

    /// <summary>
    /// The checkpoint with <see cref="Checkpoint.ReplayFrom"/> set: the offset of the first line
    /// of that file whose event time is at or after <paramref name="oldestOpen"/> (the oldest
    /// event the correlator's open state depends on), or the checkpoint's own offset when
    /// nothing is open. Entries older than needed are forgotten.
    /// </summary>
    public Checkpoint WithReplayFrom(Checkpoint checkpoint, DateTimeOffset? oldestOpen)
    {
        if (oldestOpen is null || !_files.TryGetValue((checkpoint.Collector, checkpoint.Path), out var f) || f.File != checkpoint.File || f.Entries.Count == 0)
            return checkpoint with { ReplayFrom = checkpoint.Offset };
        var newest = DateTimeOffset.FromUnixTimeSeconds(f.Entries[^1].Second);
        var from = oldestOpen.Value < newest - MaxLookback ? newest - MaxLookback : oldestOpen.Value;
        var second = from.ToUnixTimeSeconds();
        var i = f.Entries.FindIndex(e => e.Second >= second);
        if (i < 0) return checkpoint with { ReplayFrom = checkpoint.Offset };
        if (i > 0) f.Entries.RemoveRange(0, i);
        return checkpoint with { ReplayFrom = Math.Min(f.Entries[0].Offset, checkpoint.Offset) };
    }

    private sealed class FileEntries(FileIdentity file)
    {
        public FileIdentity File { get; } = file;
        public List<(long Second, long Offset)> Entries { get; } = [];
    }
}
