using BlueTeam.Engine.Daemon;

namespace BlueTeam.Tests.Engine.Daemon;

public class ErrorRateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 10, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Add_LimitReachedAndATenthOfTheLines_FailingOnceInTheMinute()
    {
        var rate = new ErrorRate();
        for (var i = 0; i < 4; i++) Assert.False(rate.Add(T0, 1, limit: 5));
        Assert.True(rate.Add(T0.AddSeconds(10), 1, limit: 5));
        Assert.False(rate.Add(T0.AddSeconds(20), 1, limit: 5)); // once a minute
        Assert.True(rate.Add(T0.AddMinutes(1), 5, limit: 5)); // a new minute counts afresh
    }

    [Fact]
    public void Add_ManyErrorsButUnderATenthOfTheLines_NotFailing()
    {
        var rate = new ErrorRate();
        for (var i = 0; i < 2000; i++) Assert.False(rate.Add(T0, 0, limit: 100));
        for (var i = 0; i < 150; i++) Assert.False(rate.Add(T0, 1, limit: 100)); // 150 of 2,150 lines
        Assert.Equal(150, rate.Errors);
        Assert.Equal(2150, rate.Lines);
    }

    [Fact]
    public void Add_LimitZero_NeverFailing()
    {
        var rate = new ErrorRate();
        for (var i = 0; i < 1000; i++) Assert.False(rate.Add(T0, 1, limit: 0));
    }
}
