namespace BlueTeam.Engine.Daemon;

/// <summary>The pause between two rounds of a worker's loop, ended early by the host's stop.</summary>
internal static class StopAwareDelay
{
    /// <summary>
    /// Waits <paramref name="delay"/> on <paramref name="time"/>; false when <paramref name="stoppingToken"/>
    /// ended the wait (the loop should end and run its last round), so the stop's cancellation never escapes.
    /// </summary>
    public static async Task<bool> WaitAsync(TimeSpan delay, TimeProvider time, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
