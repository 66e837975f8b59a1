using BlueTeam.Engine.Daemon;
using BlueTeam.Sources;
using Microsoft.Extensions.Logging.Abstractions;

namespace BlueTeam.Tests.Engine.Daemon;

public class SourceWorkerTests
{
    [Fact]
    public async Task StopAsync_NeverStarted_StillCompletesTheQueue_SoThePipelineDrainEnds()
    {
        // A SIGTERM during the host's start stops the host before this worker runs: the pipeline worker drains
        // until the queue says "no more lines", which only this worker says. (The runtime is not read on this path.)
        var queue = new LineQueue();
        var worker = new SourceWorker(Array.Empty<ISource>(), [], queue, runtime: null!, NullLogger<SourceWorker>.Instance);

        await worker.StopAsync(CancellationToken.None);

        Assert.True(queue.Reader.Completion.IsCompleted);
    }
}
