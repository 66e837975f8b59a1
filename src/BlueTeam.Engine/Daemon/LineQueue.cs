using System.Threading.Channels;
using BlueTeam.Sources;

namespace BlueTeam.Engine.Daemon;

/// <summary>
/// The bounded queue between the source worker and the pipeline worker. Full means the tailers
/// wait (back-pressure); nothing is ever dropped — what is not read yet stays in the file.
/// </summary>
internal sealed class LineQueue
{
    public const int Capacity = 8192;

    private readonly Channel<RawLine> _channel = Channel.CreateBounded<RawLine>(new BoundedChannelOptions(Capacity)
    {
        SingleReader = true,
        SingleWriter = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    public ChannelWriter<RawLine> Writer => _channel.Writer;
    public ChannelReader<RawLine> Reader => _channel.Reader;
    public int Depth => _channel.Reader.Count;
}

/// <summary>A wake-up call between workers (e.g. "new alerts are in the outbox").</summary>
internal sealed class WakeSignal : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);

    public void Set() => _signal.Release();

    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        if (await _signal.WaitAsync(timeout, ct).ConfigureAwait(false))
            while (_signal.Wait(0, CancellationToken.None)) { } // one wake-up covers every signal so far
    }

    public void Dispose() => _signal.Dispose();
}
