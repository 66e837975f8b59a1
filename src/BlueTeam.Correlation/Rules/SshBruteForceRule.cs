using System.Globalization;
using BlueTeam.Core.Events;
using BlueTeam.Parsing;

namespace BlueTeam.Correlation.Rules;

/// <summary>
/// Many failed SSH logins from one source address: <c>threshold</c> or more sshd authentication
/// failures (failed password/publickey/…, invalid user, as fail2ban's sshd filter counts them)
/// within <c>window_sec</c> of each other, measured in event time.
/// </summary>
/// <remarks>
/// <para>One incident per burst. The burst opens when the threshold is reached and its
/// fingerprint is fixed then, from the rule id, the time of the burst's first failure and the
/// source, so replaying the same log gives the same fingerprint. Every further failure while the
/// burst goes on returns the same incident with a larger event_count and later last_seen. The
/// burst ends when a failure comes more than window_sec after the previous one; the next
/// failures start counting afresh.</para>
/// <para>Failures may arrive out of order within a window (several files, clock jumps): they are
/// placed by their timestamp. State is bounded: sources idle for longer than the window (against
/// the latest event time seen) are dropped, and past <c>maxSources</c> the least recently seen
/// source is evicted.</para>
/// </remarks>
public sealed class SshBruteForceRule : IRule
{
    public const string RuleName = "ssh_brute_force";
    public const string RuleId = "BT-AUTH-001";
    public const int DefaultMaxSources = 100_000;

    private static readonly string[] Nist = ["3.14.6", "3.14.7"];

    /// <summary>The catalogue entry: defaults 5 failures within 300 s, severity high.</summary>
    public static RuleRegistration Registration { get; } = new()
    {
        Name = RuleName,
        Id = RuleId,
        Title = "SSH brute force",
        NistControls = Nist,
        Defaults = new RuleSettings { Threshold = 5, Window = TimeSpan.FromSeconds(300), Severity = Severity.High },
        Options = new HashSet<string>(StringComparer.Ordinal) { RuleOptionNames.Threshold, RuleOptionNames.WindowSec },
        Describe = s => $"{s.Threshold} or more failed SSH logins from one source address within {(long)s.Window.TotalSeconds} s",
        Create = (settings, host) => new SshBruteForceRule(settings, host),
    };

    private readonly RuleSettings _settings;
    private readonly string _host;
    private readonly int _maxSources;
    private readonly Dictionary<string, SourceState> _sources = new(StringComparer.Ordinal);
    // Least recently seen first: the expiry and eviction order.
    private readonly LinkedList<SourceState> _recency = new();
    private DateTimeOffset _watermark = DateTimeOffset.MinValue;

    public SshBruteForceRule(RuleSettings settings, string host, int maxSources = DefaultMaxSources)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.Threshold, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(settings.Window, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSources, 1);
        _settings = settings;
        _host = host;
        _maxSources = maxSources;
        Descriptor = Registration.Descriptor(settings);
    }

    public RuleDescriptor Descriptor { get; }

    /// <summary>Source addresses currently tracked (bounded by maxSources).</summary>
    public int TrackedSources => _sources.Count;

    /// <summary>Sources dropped because the table was full, not because their window closed.</summary>
    public long EvictedSources { get; private set; }

    public IReadOnlyList<SecurityIncident> Evaluate(SecurityEvent securityEvent)
    {
        if (!IsSshFailure(securityEvent, out var key)) return [];
        var time = securityEvent.Timestamp;
        if (time > _watermark) _watermark = time;
        ExpireIdleSources();

        var state = Touch(key);
        if (time > state.LastSeen) state.LastSeen = time;

        if (state.Burst is { } burst)
        {
            if (time <= burst.LastSeen + _settings.Window && time >= burst.FirstSeen - _settings.Window)
            {
                burst.Add(securityEvent);
                return [burst.ToIncident(this)];
            }
            // Far older than the burst: a straggler from a window that has already been judged.
            if (time < burst.FirstSeen) return [];
            state.Burst = null;
        }

        state.AddPending(securityEvent, _settings.Window);
        if (state.Pending.Count < _settings.Threshold) return [];

        var opened = new Burst(key, securityEvent.Source?.Ip is null, state.Pending, _host);
        state.Pending.Clear();
        state.Burst = opened;
        return [opened.ToIncident(this)];
    }

    /// <summary>An sshd authentication failure with a source to blame.</summary>
    private static bool IsSshFailure(SecurityEvent e, out string key)
    {
        key = "";
        if (e.Event.Action != EventActions.SshLogin || e.Event.Outcome != EcsValues.Failure) return false;
        // With UseDNS, sshd logs a host name instead of the address; that still names one attacker.
        var source = e.Source?.Ip ?? e.Source?.Domain;
        if (string.IsNullOrEmpty(source)) return false;
        key = source;
        return true;
    }

    private SourceState Touch(string key)
    {
        if (_sources.TryGetValue(key, out var state))
        {
            _recency.Remove(state.Node);
            _recency.AddLast(state.Node);
            return state;
        }
        if (_sources.Count >= _maxSources && _recency.First is { } oldest)
        {
            Remove(oldest.Value);
            EvictedSources++;
        }
        state = new SourceState(key);
        _sources.Add(key, state);
        _recency.AddLast(state.Node);
        return state;
    }

    /// <summary>Drops sources whose last failure is more than a window behind the newest event time seen.</summary>
    /// <remarks>Walks from the least recently seen end and stops at the first live source, so it costs O(1) per event amortized.</remarks>
    private void ExpireIdleSources()
    {
        while (_recency.First is { } oldest && oldest.Value.LastActivity + _settings.Window < _watermark)
            Remove(oldest.Value);
    }

    private void Remove(SourceState state)
    {
        _recency.Remove(state.Node);
        _sources.Remove(state.Key);
    }

    private sealed class SourceState
    {
        public SourceState(string key)
        {
            Key = key;
            Node = new LinkedListNode<SourceState>(this);
        }

        public string Key { get; }
        public LinkedListNode<SourceState> Node { get; }
        public DateTimeOffset LastSeen { get; set; } = DateTimeOffset.MinValue;
        /// <summary>Failures not yet part of a burst, sorted by time, all within one window of the newest; fewer than the threshold.</summary>
        public List<SecurityEvent> Pending { get; } = [];
        public Burst? Burst { get; set; }

        public DateTimeOffset LastActivity => Burst is { } b && b.LastSeen > LastSeen ? b.LastSeen : LastSeen;

        public void AddPending(SecurityEvent e, TimeSpan window)
        {
            // Insert after any equal timestamps so that a replay keeps the log's order.
            var at = Pending.Count;
            while (at > 0 && Pending[at - 1].Timestamp > e.Timestamp) at--;
            Pending.Insert(at, e);
            var newest = Pending[^1].Timestamp;
            var drop = 0;
            while (drop < Pending.Count && Pending[drop].Timestamp < newest - window) drop++;
            if (drop > 0) Pending.RemoveRange(0, drop);
        }
    }

    private sealed class Burst
    {
        private readonly List<SecurityEvent> _evidence = [];
        private readonly string _key;
        private readonly bool _keyIsDomain;
        private readonly string? _host;
        private readonly string _fingerprint;
        private string? _user;
        private bool _usersDiffer;

        public Burst(string key, bool keyIsDomain, List<SecurityEvent> failures, string configuredHost)
        {
            _key = key;
            _keyIsDomain = keyIsDomain;
            FirstSeen = failures[0].Timestamp;
            LastSeen = failures[^1].Timestamp;
            _fingerprint = SecurityIncident.ComputeFingerprint(RuleId, FirstSeen, key);
            _host = failures[0].Host?.Hostname is { Length: > 0 } h ? h : configuredHost;
            _user = failures[0].User?.Name;
            foreach (var f in failures) Add(f);
        }

        public DateTimeOffset FirstSeen { get; private set; }
        public DateTimeOffset LastSeen { get; private set; }
        public int Count { get; private set; }

        public void Add(SecurityEvent e)
        {
            Count++;
            if (e.Timestamp < FirstSeen) FirstSeen = e.Timestamp;
            if (e.Timestamp > LastSeen) LastSeen = e.Timestamp;
            if (_evidence.Count < SecurityIncident.MaxEvidence) _evidence.Add(e);
            // A failure without a user name cannot be said to share the user.
            if (e.User?.Name != _user) _usersDiffer = true;
        }

        public SecurityIncident ToIncident(SshBruteForceRule rule)
        {
            var window = (long)rule._settings.Window.TotalSeconds;
            var span = LastSeen - FirstSeen;
            return new SecurityIncident
            {
                Rule = new IncidentRule { Id = RuleId, Name = RuleName },
                Title = $"SSH brute force from {_key}",
                Severity = rule._settings.Severity,
                Description = string.Create(CultureInfo.InvariantCulture,
                    $"{Count} failed SSH logins from {_key} in {(long)span.TotalSeconds} s, between {FirstSeen.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ} and {LastSeen.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ} (threshold {rule._settings.Threshold} within {window} s)."),
                DetectedBy = RuleName,
                NistControls = Nist,
                Source = _keyIsDomain ? new EcsSource { Domain = _key } : new EcsSource { Ip = _key },
                User = !_usersDiffer && _user is not null ? new EcsUser { Name = _user } : null,
                Host = _host is null ? null : new EcsHost { Hostname = _host },
                FirstSeen = FirstSeen,
                LastSeen = LastSeen,
                EventCount = Count,
                Fingerprint = _fingerprint,
                Evidence = [.. _evidence],
            };
        }
    }
}
