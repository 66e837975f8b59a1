using BlueTeam.Sources;

namespace BlueTeam.Engine.Daemon;

/// <summary>
/// Stage 1: polls every source when a watched file changes (inotify) or the poll interval
/// passes, writing lines into the bounded queue. On shutdown it stops reading and completes
/// the queue, so the pipeline can drain what was read and commit.
/// </summary>
internal sealed class SourceWorker(IReadOnlyList<ISource> sources, IReadOnlyList<string> watchedPaths, LineQueue queue, DaemonRuntime runtime, ILogger<SourceWorker> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var wake = new FileChangeSignal(watchedPaths);
        foreach (var journal in sources.OfType<JournaldSource>()) journal.Wake = wake.Wake;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                foreach (var source in sources)
                    await source.PollAsync(queue.Writer, stoppingToken).ConfigureAwait(false);
                await wake.WaitAsync(runtime.Current.Config.Monitoring.PollInterval, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown: a line not yet queued stays in its file and is read after the restart.
        }
        finally
        {
            queue.Writer.TryComplete();
            foreach (var source in sources) (source as IDisposable)?.Dispose();
            logger.LogDebug("Sources stopped");
        }
    }

    /// <summary>
    /// Stops reading, then says "no more lines" even when reading never began: a signal during the host's start
    /// stops it before this worker's <see cref="ExecuteAsync"/> runs, and the pipeline worker drains until the
    /// queue is completed, so without this the daemon waited for ever.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await base.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            queue.Writer.TryComplete();
        }
    }
}
