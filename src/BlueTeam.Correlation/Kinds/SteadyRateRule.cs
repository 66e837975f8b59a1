namespace BlueTeam.Correlation.Kinds;

/// <summary>
/// Kind <c>steady</c>: one key with <c>threshold</c> or more matching events (and never fewer than one per active slice) within a long
/// <c>window_sec</c>, spread over at least <see cref="MinActiveSlices"/> of its
/// <see cref="Slices"/> slices: low and slow, one source trying every ten minutes all day, which
/// stays under every burst threshold.
/// </summary>
/// <remarks>
/// <para>Compact counters instead of events: each key holds a ring of <see cref="Slices"/> 16-bit
/// counts (one per slice of the window, e.g. one hour of a day), the time of its first counted event
/// (where the fingerprint starts) and, once it has been seen in a second slice, one event as evidence;
/// a source seen in one slice only (most scanners) keeps no event. docs/PERFORMANCE.md has the figures. A burst that fits
/// in fewer slices is the burst rules' business and does not open this one.</para>
/// <para>Once open, the incident is updated by every matching event within a window of its last
/// one (evidence capped as for every incident); its fingerprint is fixed by the first counted event.</para>
/// </remarks>
public sealed class SteadyRateRule : EventTimeRule, IStatefulRule
{
    public const string Kind = "steady";
    public const int Slices = 24;
    public const int MinActiveSlices = 6;

    private readonly WindowedKeys<KeyState> _keys;
    private readonly long _sliceTicks;

    public SteadyRateRule(RuleSpec spec)
        : base(spec)
    {
        _sliceTicks = Math.Max(1, spec.Settings.Window.Ticks / Slices);
        _keys = new WindowedKeys<KeyState>(spec, static (k, values) => new KeyState(k, values));
    }

    public int TrackedKeys => _keys.Count;
    public long EvictedKeys => _keys.Evicted;

    /// <summary>
    /// Null: this state is not rebuilt by re-reading after a restart. Its window is a day, and the daemon re-reads
    /// every log back to the oldest open event time of any rule: a day of auth.log on each restart, poison lines
    /// and all, for counters that a restart merely sets back (a slow guesser keeps going and is counted again).
    /// </summary>
    public DateTimeOffset? OldestOpenEventTime => null;

    public override void Evaluate(SecurityEvent securityEvent, List<IncidentUpdate> updates)
    {
        if (!Spec.Filter.Matches(securityEvent) || !Spec.TryKey(securityEvent, out var key)) return;
        var window = Spec.Settings.Window;
        var time = securityEvent.Timestamp;
        _keys.Advance(time);
        var state = _keys.Touch(securityEvent, key);
        var weight = Spec.WeightOf(securityEvent);

        if (state.Continued(time, window, out var straggler) is { } burst)
        {
            burst.Add(securityEvent, weight: weight);
            updates.Add(burst.Update());
            return;
        }
        if (straggler) return;

        var slice = time.UtcTicks / _sliceTicks;
        if (!state.Count(slice, weight)) return; // a straggler older than the window
        var oldestSlice = state.NewestSlice - Slices + 1;
        if (state.FirstTime == DateTimeOffset.MinValue || state.FirstTime.UtcTicks / _sliceTicks < oldestSlice || time < state.FirstTime) state.FirstTime = time;
        var active = state.ActiveSlices;
        // Most sources fail in one slice only (a scanner passing by): they keep counters, not an event. A source
        // seen in a second slice keeps one event as the incident's evidence.
        if (active >= 2 && (state.Sample is null || state.Sample.Timestamp.UtcTicks / _sliceTicks < oldestSlice)) state.Sample = securityEvent;
        if (state.Total < Spec.Settings.Threshold || active < MinActiveSlices) return;

        var sample = state.Sample ?? securityEvent;
        var opened = new IncidentAccumulator(Spec, state.KeyValues, state.FirstTime, sample);
        opened.Add(sample);
        if (!ReferenceEquals(sample, securityEvent)) opened.Add(securityEvent, weight: Math.Max(1, state.Total - 1));
        else if (state.Total > 1) opened.Add(securityEvent, asEvidence: false, weight: state.Total - 1);
        state.Open = opened;
        updates.Add(opened.Update());
    }

    private sealed class KeyState(string key, string[] keyValues) : WindowedState(key, keyValues)
    {
        private readonly ushort[] _counts = new ushort[Slices];

        public long NewestSlice { get; private set; } = long.MinValue;
        /// <summary>The first counted event's time (the incident's fingerprint starts there).</summary>
        public DateTimeOffset FirstTime { get; set; } = DateTimeOffset.MinValue;
        /// <summary>One event kept as evidence once the key is seen in a second slice.</summary>
        public SecurityEvent? Sample { get; set; }

        public int Total
        {
            get
            {
                var total = 0;
                foreach (var c in _counts) total += c;
                return total;
            }
        }

        public int ActiveSlices
        {
            get
            {
                var active = 0;
                foreach (var c in _counts) if (c > 0) active++;
                return active;
            }
        }

        /// <summary>Adds <paramref name="weight"/> in <paramref name="slice"/>, moving the ring forward; false for a slice already out of it.</summary>
        public bool Count(long slice, int weight)
        {
            if (NewestSlice == long.MinValue) NewestSlice = slice;
            if (slice > NewestSlice)
            {
                // Slices passed since the newest are empty (at most a whole ring to clear).
                for (var s = Math.Max(NewestSlice + 1, slice - Slices + 1); s <= slice; s++) _counts[(int)(s % Slices)] = 0;
                NewestSlice = slice;
            }
            else if (slice <= NewestSlice - Slices) return false;
            ref var count = ref _counts[(int)(slice % Slices)];
            count = (ushort)Math.Min(ushort.MaxValue, count + weight);
            return true;
        }

        protected override void OnClosed()
        {
            Array.Clear(_counts);
            NewestSlice = long.MinValue;
            FirstTime = DateTimeOffset.MinValue;
            Sample = null;
        }
    }
}

/// <summary>The <c>steady</c> kind: a count per key spread over a long window's slices.</summary>
public sealed class SteadyRateRuleKind : IRuleKind
{
    public string Name => SteadyRateRule.Kind;
    public IReadOnlyList<string> Options { get; } = [RuleOptionNames.Threshold, RuleOptionNames.WindowSec, RuleOptionNames.MaxKeys];
    public bool Weighted => true;
    public IRule Create(RuleSpec spec, DetectionDefinition detection, RuleContext context) => new SteadyRateRule(spec);
}
