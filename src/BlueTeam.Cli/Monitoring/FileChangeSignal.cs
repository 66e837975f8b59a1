namespace BlueTeam.Cli.Monitoring;

/// <summary>
/// Wakes the daemon as soon as a watched file changes (inotify through FileSystemWatcher), so a
/// line is seen within moments rather than a poll interval; the poll interval stays as the
/// fallback for file systems where inotify says nothing (NFS, some containers).
/// </summary>
internal sealed class FileChangeSignal : IDisposable
{
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);

    public FileChangeSignal(IEnumerable<string> paths)
    {
        foreach (var group in paths.GroupBy(p => Path.GetDirectoryName(p) ?? "/"))
        {
            if (!Directory.Exists(group.Key)) continue;
            var names = group.Select(Path.GetFileName).ToHashSet(StringComparer.Ordinal);
            var watcher = new FileSystemWatcher(group.Key)
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size,
                IncludeSubdirectories = false,
            };
            watcher.Changed += (_, e) => { if (names.Contains(e.Name)) Set(); };
            watcher.Created += (_, e) => { if (names.Contains(e.Name)) Set(); };
            watcher.Renamed += (_, e) => { if (names.Contains(e.Name) || names.Contains(Path.GetFileName(e.OldFullPath))) Set(); };
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }
    }

    private void Set() => _signal.Release();

    /// <summary>Wakes the waiter from elsewhere (a journal reader with new entries).</summary>
    public void Wake() => _signal.Release();

    /// <summary>Waits until a watched file changes or <paramref name="timeout"/> passes.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        if (await _signal.WaitAsync(timeout, ct).ConfigureAwait(false))
            while (_signal.Wait(0, CancellationToken.None)) { } // one wake-up covers every change signalled so far
    }

    public void Dispose()
    {
        foreach (var w in _watchers) w.Dispose();
        _signal.Dispose();
    }
}
