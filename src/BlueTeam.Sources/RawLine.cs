namespace BlueTeam.Sources;

/// <summary>What a source hands to the parsers: a complete line, or a note about the source itself.</summary>
public enum RawLineKind
{
    /// <summary>A complete line of the log (without its line terminator).</summary>
    Line,
    /// <summary>The source cannot read (missing, permission denied, read error); Text is the reason.</summary>
    CollectorError,
    /// <summary>The file shrank below the position read so far; it is being read again from the start.</summary>
    LogTruncated,
}

/// <summary>
/// One record from a source with the position just after it, so that the pipeline can commit a
/// checkpoint only once everything up to that position has been processed (at-least-once).
/// </summary>
public sealed record RawLine
{
    /// <summary>The collector's name in the config (e.g. auth_log); "scan" for ad-hoc files.</summary>
    public required string Collector { get; init; }
    /// <summary>The name of the log format the line is in (a collector's <c>type</c>: auth, audit, ...), which picks its parser.</summary>
    public required string Type { get; init; }
    public required string Path { get; init; }
    public required string Text { get; init; }
    /// <summary>Byte offset of the start of this line in the file.</summary>
    public long Offset { get; init; }
    /// <summary>Byte offset just past the line terminator: where to resume after this line.</summary>
    public long EndOffset { get; init; }
    public FileIdentity File { get; init; }
    public RawLineKind Kind { get; init; } = RawLineKind.Line;
    /// <summary>For journal entries: the entry's cursor, which is where to resume (offsets do not apply).</summary>
    public string? Cursor { get; init; }

    /// <summary>The line was longer than the configured limit and was cut.</summary>
    public bool Truncated { get; init; }

    /// <summary>
    /// Read again after a restart only to rebuild the correlator's open windows: it was processed
    /// (and its incidents stored) before, so it must raise nothing now.
    /// </summary>
    public bool Replay { get; init; }
}

/// <summary>Which file this is, independent of its name: device + inode + a hash of its first bytes.</summary>
public readonly record struct FileIdentity(ulong Device, ulong Inode, string HeadHash)
{
    public override string ToString() => $"{Device}:{Inode}:{HeadHash}";
}
