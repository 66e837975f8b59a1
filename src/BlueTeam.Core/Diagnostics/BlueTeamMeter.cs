using System.Diagnostics.Metrics;
using System.Globalization;

namespace BlueTeam.Core.Diagnostics;

/// <summary>
/// One metric value as read from <see cref="BlueTeamMeter"/>: instrument name, tags as <c>k=v,k=v</c>,
/// value, and what an exporter needs to name and type it.
/// </summary>
public readonly record struct MetricValue(string Name, string Tags, double Value)
{
    /// <summary>True for a monotonically growing count, false for a gauge.</summary>
    public bool IsCounter { get; init; }
    /// <summary>The instrument's unit (UCUM: <c>s</c>, <c>1</c>, <c>{line}</c>).</summary>
    public string? Unit { get; init; }
    /// <summary>The instrument's description.</summary>
    public string? Description { get; init; }
    /// <summary>The tags as (key, value) pairs, in the order the instrument reported them.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> TagPairs { get; init; } = [];

    /// <summary>The value of tag <paramref name="key"/>, or null.</summary>
    public string? Tag(string key)
    {
        foreach (var part in Tags.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && part.AsSpan(0, eq).SequenceEqual(key)) return part[(eq + 1)..];
        }
        return null;
    }
}

/// <summary>
/// blueteam's one <see cref="System.Diagnostics.Metrics.Meter"/> ("BlueTeam"): lines, events, parse and
/// rule errors, evictions, incidents, deliveries, queue depths and source lag. The Prometheus endpoint
/// exports it, and the heartbeat (so <c>blueteam status</c>) and the dashboard read it through
/// <see cref="Snapshot"/>, so every view shows the same numbers under the same names.
/// </summary>
/// <remarks>
/// Every instrument is observable: the stages keep plain Interlocked counters, and the meter reads
/// them only when someone collects (a scrape, a heartbeat, a dashboard frame). A log line therefore
/// pays nothing for metrics, where a push counter with a tag would cost a listener call per line.
/// Not static: each daemon (and each test) owns its meter, so two in one process never mix.
/// </remarks>
public sealed class BlueTeamMeter : IDisposable
{
    public const string MeterName = "BlueTeam";

    private readonly List<Instrument> _instruments = [];
    private readonly MeterListener _listener = new();
    private readonly object _collect = new();
    private List<MetricValue>? _collecting;

    public BlueTeamMeter()
    {
        Meter = new Meter(MeterName, typeof(BlueTeamMeter).Assembly.GetName().Version?.ToString());
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, Meter)) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>The meter, for exporters (prometheus-net's MeterAdapter filters on it).</summary>
    public Meter Meter { get; }

    /// <summary>
    /// A monotonically growing count (Prometheus counter). <paramref name="name"/> is dotted
    /// (<c>blueteam.parse_errors</c>); <paramref name="observe"/> runs at collection time, on the collector's thread.
    /// </summary>
    public void ObserveCounter(string name, string unit, string description, Func<IEnumerable<Measurement<long>>> observe)
    {
        lock (_collect) _instruments.Add(Meter.CreateObservableCounter(name, observe, unit, description));
    }

    /// <summary>A value that goes up and down (queue depth, seconds since a source's last line).</summary>
    public void ObserveGauge(string name, string unit, string description, Func<IEnumerable<Measurement<double>>> observe)
    {
        lock (_collect) _instruments.Add(Meter.CreateObservableGauge(name, observe, unit, description));
    }

    /// <summary>Every instrument's current values, in registration order.</summary>
    public IReadOnlyList<MetricValue> Snapshot()
    {
        lock (_collect)
        {
            _collecting = [];
            try
            {
                _listener.RecordObservableInstruments();
                return _collecting;
            }
            finally
            {
                _collecting = null;
            }
        }
    }

    /// <summary>The sum of every value of instrument <paramref name="name"/> (all tags) in <paramref name="snapshot"/>.</summary>
    public static double Total(IReadOnlyList<MetricValue> snapshot, string name)
    {
        double total = 0;
        foreach (var v in snapshot)
            if (v.Name == name) total += v.Value;
        return total;
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        // Only RecordObservableInstruments (under _collect) produces measurements: every instrument is observable.
        if (_collecting is null) return;
        var pairs = new KeyValuePair<string, string>[tags.Length];
        for (var i = 0; i < tags.Length; i++) pairs[i] = new(tags[i].Key, Convert.ToString(tags[i].Value, CultureInfo.InvariantCulture) ?? "");
        _collecting.Add(new MetricValue(instrument.Name, TagText(tags), value)
        {
            IsCounter = instrument is ObservableCounter<long> or ObservableCounter<double>,
            Unit = instrument.Unit,
            Description = instrument.Description,
            TagPairs = pairs,
        });
    }

    private static string TagText(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0) return "";
        var text = new StringBuilder();
        foreach (var (key, value) in tags)
        {
            if (text.Length > 0) text.Append(',');
            text.Append(key).Append('=').Append(Convert.ToString(value, CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }

    public void Dispose()
    {
        _listener.Dispose();
        Meter.Dispose();
    }
}
