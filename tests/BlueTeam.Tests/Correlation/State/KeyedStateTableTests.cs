using BlueTeam.Correlation.State;

namespace BlueTeam.Tests.Correlation.State;

/// <summary>
/// The rules' LRU key table against a plain model (a list in recency order): touches, evictions when full, expiry
/// and removals in random order must leave the same keys, in the same order, with the same eviction count.
/// </summary>
public class KeyedStateTableTests
{
    private sealed class TestState(string key, DateTimeOffset at) : KeyedState(key)
    {
        public DateTimeOffset At { get; set; } = at;
        public override DateTimeOffset LastActivity => At;
    }

    private static readonly DateTimeOffset T0 = new(2026, 12, 4, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 7)]
    [InlineData(5, 42)]
    [InlineData(64, 2026)]
    public void RandomTouchesExpiriesAndRemovals_MatchAPlainLruModel(int maxKeys, int seed)
    {
        var random = new Random(seed);
        var table = new KeyedStateTable<TestState>(maxKeys);
        var model = new List<(string Key, DateTimeOffset At)>(); // least recently touched first
        long evicted = 0;
        var now = T0;
        for (var step = 0; step < 20_000; step++)
        {
            now = now.AddSeconds(random.Next(0, 3));
            var key = "k" + random.Next(0, maxKeys * 3);
            switch (random.Next(0, 10))
            {
                case < 7:
                    var state = table.Touch(key, now, static (k, at) => new TestState(k, at));
                    state.At = now;
                    var index = model.FindIndex(m => m.Key == key);
                    if (index >= 0) model.RemoveAt(index);
                    else if (model.Count >= maxKeys) { model.RemoveAt(0); evicted++; }
                    model.Add((key, now));
                    break;
                case < 9:
                    var horizon = now.AddSeconds(-random.Next(0, 40));
                    table.ExpireBefore(horizon);
                    while (model.Count > 0 && model[0].At < horizon) model.RemoveAt(0);
                    break;
                default:
                    if (table.TryGet(key, out var held))
                    {
                        table.Remove(held);
                        model.RemoveAll(m => m.Key == key);
                    }
                    break;
            }
            Assert.Equal(model.Count, table.Count);
        }
        Assert.Equal(evicted, table.Evicted);
        Assert.Equal(model.Select(m => m.Key).Order(StringComparer.Ordinal), table.States.Select(s => s.Key).Order(StringComparer.Ordinal));
        // The recency order itself: expiring up to each entry's time leaves exactly the entries touched later.
        foreach (var (_, at) in model.ToList())
        {
            table.ExpireBefore(at.AddTicks(1));
            Assert.Equal(model.Where(m => m.At > at).Select(m => m.Key).Order(StringComparer.Ordinal), table.States.Select(s => s.Key).Order(StringComparer.Ordinal));
        }
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void Remove_OfAStateNotInTheTable_Throws()
    {
        var table = new KeyedStateTable<TestState>(4);
        var state = table.Touch("a", T0, static (k, at) => new TestState(k, at));
        table.Remove(state);
        Assert.Throws<InvalidOperationException>(() => table.Remove(state));
        Assert.Throws<InvalidOperationException>(() => table.Remove(new TestState("b", T0)));
    }
}
