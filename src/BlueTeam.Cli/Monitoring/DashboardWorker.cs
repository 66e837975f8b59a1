using Microsoft.Extensions.Hosting;
using BlueTeam.Engine.Daemon;

namespace BlueTeam.Cli.Monitoring;

/// <summary>The live dashboard (Spectre.Console Live), redrawn every second while stdout is a terminal.</summary>
internal sealed class DashboardWorker : BackgroundService
{
    private readonly IAnsiConsole _console;
    private readonly DaemonStats _stats;
    private readonly DaemonRuntime _runtime;
    private readonly LineQueue _queue;
    private readonly LogRing _log;
    private readonly string _store;
    private readonly TimeProvider _time;

    public DashboardWorker(IAnsiConsole console, DaemonStats stats, DaemonRuntime runtime, LineQueue queue, LogRing log, string store, TimeProvider time)
    {
        _console = console;
        _stats = stats;
        _runtime = runtime;
        _queue = queue;
        _log = log;
        _store = store;
        _time = time;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The dashboard is laid out for the whole screen: start it at the top, not below the banner.
        _console.Clear(home: true);
        return _console.Live(Render()).AutoClear(false).Overflow(VerticalOverflow.Ellipsis).StartAsync(async ctx =>
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                ctx.UpdateTarget(Render());
                ctx.Refresh();
                if (!await StopAwareDelay.WaitAsync(TimeSpan.FromSeconds(1), _time, stoppingToken).ConfigureAwait(false)) break;
            }
            ctx.UpdateTarget(Render()); // the final state stays on screen above the summary
            ctx.Refresh();
        });
    }

    // The terminal's size is read on every frame, so a resize is followed at the next second.
    private Spectre.Console.Rendering.IRenderable Render() =>
        DashboardView.Render(_stats, _runtime, _queue, _store, _log, _time.GetUtcNow(), _console.Profile.Width, _console.Profile.Height);
}
