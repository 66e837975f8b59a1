using BlueTeam.Engine.Daemon;
using Microsoft.Extensions.Time.Testing;

namespace BlueTeam.Tests.Engine.Daemon;

public class StopAwareDelayTests
{
    [Fact]
    public async Task WaitAsync_DelayPasses_True()
    {
        var time = new FakeTimeProvider();
        using var stopping = new CancellationTokenSource();
        var wait = StopAwareDelay.WaitAsync(TimeSpan.FromSeconds(5), time, stopping.Token);
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(wait.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await wait);
    }

    [Fact]
    public async Task WaitAsync_HostStopsDuringTheWait_FalseWithoutThrowing()
    {
        var time = new FakeTimeProvider();
        using var stopping = new CancellationTokenSource();
        var wait = StopAwareDelay.WaitAsync(TimeSpan.FromHours(1), time, stopping.Token);
        await stopping.CancelAsync();
        Assert.False(await wait);
    }

    [Fact]
    public async Task WaitAsync_AlreadyStopping_False()
    {
        using var stopping = new CancellationTokenSource();
        await stopping.CancelAsync();
        Assert.False(await StopAwareDelay.WaitAsync(TimeSpan.Zero, new FakeTimeProvider(), stopping.Token));
    }
}
