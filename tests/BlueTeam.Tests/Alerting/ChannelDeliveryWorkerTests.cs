using BlueTeam.Alerting;
using BlueTeam.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace BlueTeam.Tests.Alerting;

public sealed class ChannelDeliveryWorkerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new(AlertIncidents.Start);
    private readonly InMemoryAlertStore _store;
    private readonly DeliveryRetryOptions _retry = new() { Jitter = () => 1.0, BatchSize = 2 };
    private readonly List<DeliveryAttempt> _observed = [];
    private readonly List<(string Channel, Exception Error)> _errors = [];

    public ChannelDeliveryWorkerTests() => _store = new InMemoryAlertStore(_time);

    /// <summary>A channel whose send never completes until cancelled: an SMTP server that accepts and never answers.</summary>
    private sealed class HangingChannel(string name) : IAlertChannel
    {
        public string Name { get; } = name;
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<DeliveryResult> SendAsync(AlertRecord alert, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return DeliveryResult.Delivered();
        }
    }

    private ChannelDeliveryWorker Worker(DeliveryDispatcher dispatcher, string channel) =>
        new(channel, () => dispatcher, (attempts, _) => { lock (_observed) _observed.AddRange(attempts); return Task.CompletedTask; },
            (name, e) => { lock (_errors) _errors.Add((name, e)); }, TimeSpan.FromMilliseconds(10));

    private static async Task UntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(10);
        }
    }

    private DeliveryStatus StatusOf(string channel) => _store.Deliveries.Single(d => d.Channel == channel).Status;

    [Fact]
    public async Task RunAsync_OneChannelHangsInItsSend_OtherChannelsDeliverMeanwhile()
    {
        await _store.SaveAlertAsync(AlertIncidents.Incident(), "web01", ["email", "file", "syslog"], CancellationToken.None);
        var email = new HangingChannel("email");
        var file = new ScriptedChannel("file", DeliveryResult.Delivered());
        var syslog = new ScriptedChannel("syslog", DeliveryResult.Delivered());
        var dispatcher = new DeliveryDispatcher(_store, new IAlertChannel[] { email, file, syslog }.ToDictionary(c => c.Name), _time, _retry);
        using var stop = new CancellationTokenSource();
        var workers = new[] { "email", "file", "syslog" }.Select(c => Worker(dispatcher, c)).ToList();
        var running = workers.Select(w => Task.Run(() => w.RunAsync(stop.Token))).ToList();

        await email.Entered.Task.WaitAsync(Patience);
        await UntilAsync(() => StatusOf("file") == DeliveryStatus.Delivered && StatusOf("syslog") == DeliveryStatus.Delivered);

        Assert.Single(file.Sent);
        Assert.Single(syslog.Sent);
        var mail = _store.Deliveries.Single(d => d.Channel == "email");
        Assert.Equal(DeliveryStatus.Pending, mail.Status);
        Assert.Equal(0, mail.Attempts);

        await stop.CancelAsync();
        await Task.WhenAll(running).WaitAsync(Patience);
        // Cancelled mid-send: nothing recorded, so the row is sent again after a restart (at least once).
        mail = _store.Deliveries.Single(d => d.Channel == "email");
        Assert.Equal(DeliveryStatus.Pending, mail.Status);
        Assert.Equal(0, mail.Attempts);
        Assert.Empty(_errors);
    }

    [Fact]
    public async Task RunAsync_MoreThanABatchDue_OneWakeUpDeliversThemAll()
    {
        for (var i = 0; i < 5; i++)
            await _store.SaveAlertAsync(AlertIncidents.Incident(ip: $"203.0.113.{i + 1}", fingerprint: $"burst-{i}"), "web01", ["syslog"], CancellationToken.None);
        var syslog = new ScriptedChannel("syslog", DeliveryResult.Delivered());
        var dispatcher = new DeliveryDispatcher(_store, new Dictionary<string, IAlertChannel> { ["syslog"] = syslog }, _time, _retry);
        var worker = Worker(dispatcher, "syslog");
        using var stop = new CancellationTokenSource();
        for (var i = 0; i < 10; i++) worker.Wake(); // coalesced into the queue's single slot
        var running = Task.Run(() => worker.RunAsync(stop.Token));

        await UntilAsync(() => _store.Deliveries.All(d => d.Status == DeliveryStatus.Delivered));

        Assert.Equal(5, syslog.Sent.Count);
        lock (_observed) Assert.Equal(5, _observed.Count);
        await stop.CancelAsync();
        await running.WaitAsync(Patience);
    }

    [Fact]
    public async Task RoundAsync_TransientFailure_BacksOffThatChannelOnly()
    {
        await _store.SaveAlertAsync(AlertIncidents.Incident(), "web01", ["email", "syslog"], CancellationToken.None);
        var email = new ScriptedChannel("email", DeliveryResult.Transient("connection refused"));
        var syslog = new ScriptedChannel("syslog", DeliveryResult.Delivered());
        var dispatcher = new DeliveryDispatcher(_store, new IAlertChannel[] { email, syslog }.ToDictionary(c => c.Name), _time, _retry);
        var emailWorker = Worker(dispatcher, "email");
        var syslogWorker = Worker(dispatcher, "syslog");

        var first = Assert.Single(await emailWorker.RoundAsync(CancellationToken.None));
        Assert.Equal(DeliveryStatus.Pending, first.Status);
        Assert.Equal(AlertIncidents.Start.AddSeconds(5), first.NextAttemptAt);
        Assert.Equal(DeliveryStatus.Delivered, Assert.Single(await syslogWorker.RoundAsync(CancellationToken.None)).Status);

        Assert.Empty(await emailWorker.RoundAsync(CancellationToken.None)); // still backing off
        _time.Advance(TimeSpan.FromSeconds(5));
        var second = Assert.Single(await emailWorker.RoundAsync(CancellationToken.None));
        Assert.Equal(2, second.Attempt);
        Assert.Equal(2, email.Sent.Count);
        Assert.Single(syslog.Sent);
    }

    [Fact]
    public async Task RunAsync_RoundThrows_ErrorReportedAndWorkerGoesOn()
    {
        await _store.SaveAlertAsync(AlertIncidents.Incident(), "web01", ["syslog"], CancellationToken.None);
        var syslog = new ScriptedChannel("syslog", DeliveryResult.Delivered());
        var dispatcher = new DeliveryDispatcher(_store, new Dictionary<string, IAlertChannel> { ["syslog"] = syslog }, _time, _retry);
        var calls = 0;
        var worker = new ChannelDeliveryWorker("syslog", () => Interlocked.Increment(ref calls) == 1 ? throw new InvalidOperationException("store down") : dispatcher,
            (_, _) => Task.CompletedTask, (name, e) => { lock (_errors) _errors.Add((name, e)); }, TimeSpan.FromMilliseconds(10));
        using var stop = new CancellationTokenSource();
        worker.Wake();
        var running = Task.Run(() => worker.RunAsync(stop.Token));

        await UntilAsync(() => StatusOf("syslog") == DeliveryStatus.Delivered);

        var (channel, error) = Assert.Single(_errors);
        Assert.Equal("syslog", channel);
        Assert.Equal("store down", error.Message);
        await stop.CancelAsync();
        await running.WaitAsync(Patience);
    }
}
