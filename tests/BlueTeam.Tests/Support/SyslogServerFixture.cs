using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BlueTeam.Tests.Support;

/// <summary>
/// A real rsyslog on loopback with a private config: imudp and imtcp on free ports, every record
/// written to a file through a template that shows what rsyslog understood
/// (<c>severity facility app-name msgid msg</c>), one line per record.
/// </summary>
/// <remarks>If rsyslogd is missing the fixture fails the tests that use it, loudly.</remarks>
public sealed class SyslogServerFixture : IDisposable
{
    private const string Rsyslogd = "/usr/sbin/rsyslogd";
    private readonly Process _server;
    private readonly StringBuilder _serverOutput = new();
    private readonly string _root;

    /// <summary>rsyslog on free ports (what xunit builds for <c>IClassFixture</c>).</summary>
    public SyslogServerFixture() : this(null)
    {
    }

    // Not public: xunit requires a class fixture to have exactly one public constructor.
    /// <param name="tcpPort">A TCP port chosen beforehand (a test that starts the server late), else a free one.</param>
    internal SyslogServerFixture(int? tcpPort)
    {
        if (!File.Exists(Rsyslogd))
            throw new InvalidOperationException($"{Rsyslogd} not found. The remote syslog tests need a real rsyslog: Debian's rsyslog package. "
                + "Run the test command given in README.md (scripts/test.sh), which installs it, instead of calling dotnet test directly.");
        _root = Directory.CreateTempSubdirectory("blueteam-rsyslog-").FullName;
        OutputPath = Path.Combine(_root, "received.log");
        TcpPort = tcpPort ?? SmtpServerFixture.FreeLoopbackPort();
        UdpPort = FreeUdpPort();
        var conf = Path.Combine(_root, "rsyslog.conf");
        File.WriteAllText(conf, $"""
            global(workDirectory="{_root}" maxMessageSize="16k")
            module(load="imudp")
            module(load="imtcp")
            input(type="imudp" address="127.0.0.1" port="{UdpPort}")
            input(type="imtcp" address="127.0.0.1" port="{TcpPort}")
            template(name="probe" type="string" string="%syslogseverity% %syslogfacility% %app-name% %msgid% %msg%\n")
            *.* action(type="omfile" file="{OutputPath}" template="probe")
            """);
        var start = new ProcessStartInfo(Rsyslogd) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { "-n", "-f", conf, "-i", Path.Combine(_root, "rsyslogd.pid") }) start.ArgumentList.Add(arg);
        _server = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Rsyslogd}");
        _server.ErrorDataReceived += (_, e) => { lock (_serverOutput) _serverOutput.AppendLine(e.Data); };
        _server.OutputDataReceived += (_, e) => { lock (_serverOutput) _serverOutput.AppendLine(e.Data); };
        _server.BeginErrorReadLine();
        _server.BeginOutputReadLine();
        WaitUntilListening(TimeSpan.FromSeconds(20));
    }

    public int UdpPort { get; }
    public int TcpPort { get; }
    public string OutputPath { get; }

    public string ServerOutput { get { lock (_serverOutput) return _serverOutput.ToString(); } }

    /// <summary>Waits for a written line containing <paramref name="marker"/>; fails the test after the timeout.</summary>
    public async Task<string> WaitForLineAsync(string marker, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (File.Exists(OutputPath))
            {
                string[] lines;
                using (var stream = new FileStream(OutputPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
                using (var reader = new StreamReader(stream))
                    lines = (await reader.ReadToEndAsync()).Split('\n');
                var hit = lines.FirstOrDefault(l => l.Contains(marker, StringComparison.Ordinal));
                if (hit is not null) return hit;
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"rsyslog wrote no line containing '{marker}' to {OutputPath} within {timeout}; rsyslog output:\n{ServerOutput}");
            await Task.Delay(50);
        }
    }

    private static int FreeUdpPort()
    {
        using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
    }

    private void WaitUntilListening(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_server.HasExited)
                throw new InvalidOperationException($"rsyslogd exited with code {_server.ExitCode} before listening:\n{ServerOutput}");
            using var probe = new TcpClient();
            try
            {
                probe.Connect(IPAddress.Loopback, TcpPort);
                // imudp is opened in the same start-up step as imtcp; give it a moment anyway.
                Thread.Sleep(200);
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                // Not listening yet: rsyslog is still reading its config. Try again until the deadline.
            }
            if (DateTime.UtcNow > deadline)
            {
                Dispose();
                throw new TimeoutException($"rsyslogd did not listen on 127.0.0.1:{TcpPort} within {timeout}:\n{ServerOutput}");
            }
            Thread.Sleep(100);
        }
    }

    public void Dispose()
    {
        if (!_server.HasExited)
        {
            _server.Kill(entireProcessTree: true);
            _server.WaitForExit(5000);
        }
        _server.Dispose();
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }
}
