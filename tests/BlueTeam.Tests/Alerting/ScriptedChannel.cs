using BlueTeam.Alerting;

namespace BlueTeam.Tests.Alerting;

/// <summary>A channel that answers from a script (or throws) and remembers what it was given.</summary>
internal sealed class ScriptedChannel(string name, Func<AlertRecord, DeliveryResult> answer) : IAlertChannel
{
    public ScriptedChannel(string name, DeliveryResult always) : this(name, _ => always) { }

    public string Name { get; } = name;
    public List<AlertRecord> Sent { get; } = [];

    public Task<DeliveryResult> SendAsync(AlertRecord alert, CancellationToken cancellationToken)
    {
        Sent.Add(alert);
        return Task.FromResult(answer(alert));
    }
}
