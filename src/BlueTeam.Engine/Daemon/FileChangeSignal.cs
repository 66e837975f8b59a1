namespace BlueTeam.Engine.Daemon;

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
            var names = new WatchedFileNames(group.Select(Path.GetFileName).OfType<string>());
            var watcher = new FileSystemWatcher(group.Key)
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size,
                IncludeSubdirectories = false,
            };
            watcher.Changed += (_, e) => { if (names.Matches(e.Name)) Set(); };
            watcher.Created += (_, e) => { if (names.Matches(e.Name)) Set(); };
            watcher.Renamed += (_, e) => { if (names.Matches(e.Name) || names.Matches(Path.GetFileName(e.OldFullPath))) Set(); };
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }
    }

    private void Set() => _signal.Release();

    /// <summary>Wakes the waiter from elsewhere (a journal reader with new entries).</summary>
    public void Wake() => _signal.Release();

    /// <summary>Waits until a watched file changes (true) or <paramref name="timeout"/> passes (false).</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        if (!await _signal.WaitAsync(timeout, ct).ConfigureAwait(false)) return false;
        while (_signal.Wait(0, CancellationToken.None)) { } // one wake-up covers every change signalled so far
        return true;
    }

    public void Dispose()
    {
        foreach (var w in _watchers) w.Dispose();
        _signal.Dispose();
    }
}
