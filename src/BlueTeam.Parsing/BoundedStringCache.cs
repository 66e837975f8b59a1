namespace BlueTeam.Parsing;

/// <summary>
/// Hands out one string instance per distinct text, for values that repeat from line to line (user
/// agents, record-type lists). Never wrong, only sometimes not shared: a hit is compared in full, and
/// when <see cref="Capacity"/> distinct texts have been seen the cache starts over, so hostile input
/// with endless distinct values costs one lookup per value and bounded memory.
/// </summary>
/// <remarks>Not thread-safe: each user keeps its own (per parser instance, or [ThreadStatic]).</remarks>
internal sealed class BoundedStringCache
{
    private readonly Dictionary<string, string> _strings;
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly int _maxLength;

    public BoundedStringCache(int capacity, int maxLength)
    {
        Capacity = capacity;
        _maxLength = maxLength;
        _strings = new Dictionary<string, string>(StringComparer.Ordinal);
        _lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Capacity { get; }

    public int Count => _strings.Count;

    /// <summary>The cached string equal to <paramref name="text"/>, a new one otherwise (cached when short enough).</summary>
    public string Get(ReadOnlySpan<char> text)
    {
        if (text.Length > _maxLength) return text.ToString();
        if (_lookup.TryGetValue(text, out var cached)) return cached;
        if (_strings.Count >= Capacity) _strings.Clear();
        var created = text.ToString();
        _strings[created] = created;
        return created;
    }
}
