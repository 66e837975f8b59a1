using System.IO.Enumeration;

namespace BlueTeam.Engine.Daemon;

/// <summary>
/// The configured file names of one directory, as a change notification is checked against them:
/// a literal name, or a glob in the file name (<c>*.log</c>) matched the way the tailer expands it
/// (simple wildcards, case-sensitive). Without the globs, a collector configured as
/// <c>/var/log/nginx/*.log</c> was never woken by inotify and saw each line a poll interval late.
/// </summary>
internal sealed class WatchedFileNames
{
    private readonly HashSet<string> _literal = new(StringComparer.Ordinal);
    private readonly List<string> _globs = [];

    public WatchedFileNames(IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            if (name.IndexOfAny(['*', '?']) < 0) _literal.Add(name);
            else _globs.Add(name);
        }
    }

    public bool Matches(string? name)
    {
        if (string.IsNullOrEmpty(name)) return false;
        if (_literal.Contains(name)) return true;
        foreach (var glob in _globs)
            if (FileSystemName.MatchesSimpleExpression(glob, name, ignoreCase: false)) return true;
        return false;
    }
}
