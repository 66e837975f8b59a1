using Microsoft.Extensions.Logging;

namespace BlueTeam.Cli.Monitoring;

/// <summary>
/// While the live dashboard owns the terminal, log lines (and what the console channel prints)
/// go here instead of the screen, and the dashboard shows the newest of them.
/// </summary>
internal sealed class LogRing : ILoggerProvider
{
    private readonly Queue<string> _lines = new();
    private readonly int _capacity;

    public LogRing(int capacity = 200) => _capacity = capacity;

    public void Add(string line)
    {
        lock (_lines)
        {
            _lines.Enqueue(line);
            while (_lines.Count > _capacity) _lines.Dequeue();
        }
    }

    public IReadOnlyList<string> Last(int n)
    {
        lock (_lines) return _lines.Skip(Math.Max(0, _lines.Count - n)).ToList();
    }

    public ILogger CreateLogger(string categoryName) => new RingLogger(this, categoryName);

    public void Dispose() { }

    /// <summary>A TextWriter that adds each written line to the ring (for the console channel's panels).</summary>
    public TextWriter Writer() => new RingWriter(this);

    private sealed class RingLogger(LogRing ring, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var text = formatter(state, exception);
            if (exception is not null) text += ": " + exception.Message;
            var level = logLevel switch { LogLevel.Warning => "warn", LogLevel.Error => "fail", LogLevel.Critical => "crit", _ => "info" };
            ring.Add($"{DateTime.Now:HH:mm:ss} {level} {ShortCategory(category)}: {text}");
        }

        private static string ShortCategory(string c) => c[(c.LastIndexOf('.') + 1)..];
    }

    private sealed class RingWriter(LogRing ring) : TextWriter
    {
        private readonly System.Text.StringBuilder _line = new();
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void Write(char value)
        {
            if (value == '\n') { ring.Add(_line.ToString().TrimEnd('\r')); _line.Clear(); }
            else _line.Append(value);
        }
    }
}
