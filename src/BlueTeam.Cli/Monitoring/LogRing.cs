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

    /// <summary>
    /// Lines written by the console channel. Its alert panels (╭ … │ … ╰) are folded into one line each:
    /// the dashboard shows the log one terminal line per entry, and a panel's borders would fill it.
    /// </summary>
    private sealed class RingWriter(LogRing ring) : TextWriter
    {
        private readonly System.Text.StringBuilder _line = new();
        private System.Text.StringBuilder? _panel;
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void Write(char value)
        {
            if (value == '\n') { Complete(_line.ToString().TrimEnd('\r')); _line.Clear(); }
            else _line.Append(value);
        }

        private void Complete(string line)
        {
            var trimmed = line.Trim();
            if (trimmed.StartsWith('╭'))
            {
                _panel = new System.Text.StringBuilder(trimmed.Trim('╭', '╮', '─', ' '));
                return;
            }
            if (_panel is not null && trimmed.StartsWith('│'))
            {
                var inner = trimmed.Trim('│', ' ');
                if (inner.Length > 0) _panel.Append(_panel.Length > 0 ? " " : "").Append(inner);
                return;
            }
            if (_panel is not null && trimmed.StartsWith('╰'))
            {
                ring.Add("alert: " + _panel);
                _panel = null;
                return;
            }
            if (_panel is not null) { ring.Add("alert: " + _panel); _panel = null; } // a panel cut short: keep what it said
            if (trimmed.Length > 0) ring.Add(line);
        }
    }
}
