namespace BlueTeam.Storage;

/// <summary>A file whose mode was tightened, for the warning that says so.</summary>
public sealed record ModeChange(string Path, UnixFileMode Before, UnixFileMode After)
{
    public override string ToString() => $"{Path}: {Octal(Before)} -> {Octal(After)}";

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');
}

/// <summary>
/// Tightens the files that hold the history at every daemon start: the database and its -wal and -shm, the spool
/// (owner read-write, 0600) and the sealing state (owner read, 0400). A file made with a loose umask, copied in by a
/// backup tool or loosened by hand would otherwise stay readable to the group or everyone, and the history tells an
/// intruder what was seen of them. Files that do not exist are left alone; only bits are ever removed, never added
/// beyond the owner's.
/// </summary>
public static class FileHygiene
{
    public const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode OwnerRead = UnixFileMode.UserRead;

    /// <returns>The files whose mode changed.</returns>
    public static IReadOnlyList<ModeChange> Tighten(IEnumerable<(string Path, UnixFileMode Mode)> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var changes = new List<ModeChange>();
        if (OperatingSystem.IsWindows()) return changes;
        foreach (var (path, mode) in files)
        {
            if (!File.Exists(path)) continue;
            var before = File.GetUnixFileMode(path);
            if (before == mode) continue;
            File.SetUnixFileMode(path, mode);
            changes.Add(new ModeChange(path, before, mode));
        }
        return changes;
    }

    /// <summary>The files of a SQLite store at <paramref name="databasePath"/>: the database, its WAL and its shared-memory index.</summary>
    public static IEnumerable<(string Path, UnixFileMode Mode)> SqliteFiles(string databasePath) =>
        [(databasePath, OwnerReadWrite), (databasePath + "-wal", OwnerReadWrite), (databasePath + "-shm", OwnerReadWrite)];
}
