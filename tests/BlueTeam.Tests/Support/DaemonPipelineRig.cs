using BlueTeam.Alerting;
using BlueTeam.Core.Config;
using BlueTeam.Correlation;
using BlueTeam.Engine;
using BlueTeam.Engine.Daemon;
using BlueTeam.Parsing;
using BlueTeam.Response;
using BlueTeam.Sources;
using BlueTeam.Tests.Response;
using Microsoft.Extensions.Logging.Abstractions;

namespace BlueTeam.Tests.Support;

/// <summary>
/// The daemon's pipeline worker in-process, as `monitor` composes it but without sources or delivery: lines go
/// into its queue as a tailer would queue them, incidents into <see cref="Store"/> through the real alert engine,
/// positions into <see cref="Checkpoints"/>. <see cref="DrainAsync"/> completes the queue as shutdown does.
/// </summary>
internal sealed class DaemonPipelineRig
{
    private readonly LineQueue _queue = new();
    private readonly PipelineWorker _worker;

    public DaemonPipelineRig(BlueTeamConfig config, IEnumerable<IRule> rules, TimeProvider time, IAlertStore? store = null, ICheckpointStore? checkpoints = null)
    {
        var memory = new InMemoryAlertStore(time);
        Store = store ?? memory;
        Checkpoints = checkpoints ?? new InMemoryCheckpointStore();
        var ruleList = rules.ToList();
        var parsers = ParserRegistry.CreateDefault();
        Pipeline = new DetectionPipeline(parsers, new Correlator(ruleList));
        var channels = new Dictionary<string, IAlertChannel>();
        var engine = new AlertEngine(new AlertRouter(config.Alerting, channels.Keys), Store, config.Host, config.Alerting, time, memory, memory, memory);
        var runtime = new DaemonRuntime(new RuntimeParts(config, ruleList, parsers, Pipeline, channels, engine,
            new DeliveryDispatcher(Store, channels, time), new DeliveryHealthMonitor(config.Alerting.DeliveryFailure, config.Host, time)));
        var response = ResponseStage.Create(new ResponseOptions(), config.Host, new InMemoryBanStore(), (_, _) => Task.CompletedTask, time, NullLogger.Instance);
        _worker = new PipelineWorker(_queue, runtime, Checkpoints, Stats, new WakeSignal(), time, NullLogger<PipelineWorker>.Instance, response);
    }

    public IAlertStore Store { get; }

    public ICheckpointStore Checkpoints { get; }

    public DetectionPipeline Pipeline { get; }

    public DaemonStats Stats { get; } = new();

    public Task StartAsync() => _worker.StartAsync(CancellationToken.None);

    public ValueTask WriteAsync(RawLine line) => _queue.Writer.WriteAsync(line);

    /// <summary>Completes the queue (the sources stopped) and waits until the worker has processed, raised and committed everything.</summary>
    public async Task DrainAsync()
    {
        _queue.Writer.Complete();
        await _worker.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(60));
        await _worker.StopAsync(CancellationToken.None);
    }

    /// <summary>The lines of <paramref name="text"/> as the file tailer of <paramref name="collector"/> queues them.</summary>
    public static IEnumerable<RawLine> Lines(string collector, string type, string path, IEnumerable<string> text)
    {
        long offset = 0;
        foreach (var line in text)
        {
            var end = offset + System.Text.Encoding.UTF8.GetByteCount(line) + 1;
            yield return new RawLine { Collector = collector, Type = type, Path = path, Text = line, Offset = offset, EndOffset = end };
            offset = end;
        }
    }
}
