namespace BlueTeam.Sources;

/// <summary>
/// Remembers, per (collector, path), the end of the last line the pipeline finished with, so the
/// daemon can commit checkpoints only for work that is done (stored incidents included).
/// </summary>
public sealed class CheckpointTracker
{
    private readonly Dictionary<(string Collector, string Path), Checkpoint> _pending = [];
    private readonly TimeProvider _time;

    public CheckpointTracker(TimeProvider time) => _time = time;

    /// <summary>Marks <paramref name="line"/> as processed.</summary>
    public void Processed(RawLine line)
    {
        if (line.Kind != RawLineKind.Line) return;
        _pending[(line.Collector, line.Path)] = new Checkpoint(line.Collector, line.Path, line.File, line.EndOffset, _time.GetUtcNow()) { Cursor = line.Cursor };
    }

    public int PendingCount => _pending.Count;

    /// <summary>Gives back checkpoints that could not be committed, unless a later position superseded them.</summary>
    public void Return(IEnumerable<Checkpoint> uncommitted)
    {
        foreach (var c in uncommitted) _pending.TryAdd((c.Collector, c.Path), c);
    }

    /// <summary>The checkpoints to commit now; the tracker forgets them.</summary>
    public IReadOnlyCollection<Checkpoint> Take()
    {
        var list = _pending.Values.ToList();
        _pending.Clear();
        return list;
    }
}
