namespace BlueTeam.Sources;

/// <summary>
/// Expands the configured paths: a literal path is kept even when missing (so its absence is
/// reported); a glob in the file name (<c>/var/log/nginx/*.log</c>) gives the files that match now.
/// </summary>
internal static class PathExpander
{
    public static IEnumerable<string> Expand(IEnumerable<string> paths)
    {
        foreach (var path in paths)
        {
            var name = Path.GetFileName(path);
            if (name.IndexOfAny(['*', '?']) < 0)
            {
                yield return path;
                continue;
            }
            var dir = Path.GetDirectoryName(path) ?? "/";
            if (!Directory.Exists(dir)) continue;
            string[] matches;
            try
            {
                matches = Directory.GetFiles(dir, name, new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = true, MatchType = MatchType.Simple });
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // the directory vanished or closed between the check and the listing; next poll
            }
            Array.Sort(matches, StringComparer.Ordinal);
            foreach (var m in matches) yield return m;
        }
    }
}
