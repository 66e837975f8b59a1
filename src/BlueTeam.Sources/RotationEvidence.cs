namespace BlueTeam.Sources;

/// <summary>
/// Finds the rotated sibling of a log (auth.log.1, auth.log-20260310, …) to tell rotation from
/// tampering: rename-and-create leaves the old inode under another name; copytruncate leaves a
/// copy whose first line is the one the truncated file had.
/// </summary>
internal static class RotationEvidence
{
    public static string? FindByInode(string path, FileIdentity identity) =>
        Siblings(path).FirstOrDefault(p => Probe(p, s => FileIdentityReader.Read(s)) is { } id && id.Device == identity.Device && id.Inode == identity.Inode);

    public static string? FindCopyWithHead(string path, string headHash) =>
        headHash.Length == 0 ? null : Siblings(path).FirstOrDefault(p => Probe(p, FileIdentityReader.HeadHash) == headHash);

    private static List<string> Siblings(string path)
    {
        var dir = Path.GetDirectoryName(path);
        var name = Path.GetFileName(path);
        if (dir is null || !Directory.Exists(dir)) return [];
        try
        {
            return Directory.GetFiles(dir, name + "*", new EnumerationOptions { IgnoreInaccessible = true })
                .Concat(Directory.GetFiles(dir, Path.GetFileNameWithoutExtension(name) + "*", new EnumerationOptions { IgnoreInaccessible = true }))
                .Where(p => p != path && !p.EndsWith(".gz", StringComparison.Ordinal) && !p.EndsWith(".xz", StringComparison.Ordinal))
                .Distinct(StringComparer.Ordinal)
                .OrderBy(p => p, StringComparer.Ordinal)
                .ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return []; // no evidence either way; the caller treats that as "not rotated"
        }
    }

    private static T? Probe<T>(string path, Func<FileStream, T> read)
    {
        try
        {
            using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return read(s);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return default; // rotated siblings come and go; an unreadable one is no evidence
        }
    }
}
