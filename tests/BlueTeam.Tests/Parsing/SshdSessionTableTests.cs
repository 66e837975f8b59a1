using BlueTeam.Core.Events;
using BlueTeam.Parsing.Auth;

namespace BlueTeam.Tests.Parsing;

/// <summary>The pid → peer memory behind sshd lines without an address: bounded, closed at disconnect.</summary>
public class SshdSessionTableTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 10, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Learn_PastCapacity_DropsTheOldestConnectionsFirst()
    {
        var table = new SshdSessionTable(capacity: 100);
        for (var pid = 0; pid < 1000; pid++) table.Learn("h", pid, new EcsSource { Ip = "198.51.100.1" }, At);
        Assert.Equal(100, table.Count);
        Assert.Null(table.PeerOf("h", 0, At));
        Assert.NotNull(table.PeerOf("h", 999, At));
    }

    [Fact]
    public void Close_EndsTheEntryAndReturnsItsPendingFailure()
    {
        var table = new SshdSessionTable();
        table.MarkFailure("h", 7, "kex_exchange_identification");
        Assert.Equal("kex_exchange_identification", table.Close("h", 7));
        Assert.Equal(0, table.Count);
        Assert.Null(table.Close("h", 7));
    }

    [Fact]
    public void ManyOpenAndClose_QueueOfClosedEntriesIsCompacted()
    {
        var table = new SshdSessionTable(capacity: 10);
        for (var pid = 0; pid < 100_000; pid++)
        {
            table.Learn("h", pid, new EcsSource { Ip = "198.51.100.2" }, At);
            table.Close("h", pid);
        }
        Assert.Equal(0, table.Count);
        Assert.True(table.QueueLength <= 4 * table.Capacity + 1, $"queue holds {table.QueueLength}");
    }
}
