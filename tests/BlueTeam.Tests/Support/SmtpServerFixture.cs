using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MimeKit;

namespace BlueTeam.Tests.Support;

/// <summary>
/// A real SMTP server on loopback: Debian's aiosmtpd, storing what it receives in a Maildir.
/// </summary>
/// <remarks>
/// If aiosmtpd is missing the fixture fails the tests that use it, loudly: a mail channel that was
/// never tested against a server must not look green.
/// </remarks>
public sealed class SmtpServerFixture : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly Process _server;
    private readonly StringBuilder _serverOutput = new();
    private readonly string _root;

    /// <summary>A plain SMTP server on a free port (what xunit builds for <c>IClassFixture</c>).</summary>
    public SmtpServerFixture() : this(null)
    {
    }

    // Not public: xunit requires a class fixture to have exactly one public constructor.
    /// <param name="port">A port chosen beforehand (a test that starts the server late), else a free one.</param>
    /// <param name="tlsCertFile">With <paramref name="tlsKeyFile"/>: offer STARTTLS with this certificate and refuse mail without it (aiosmtpd's default require_starttls).</param>
    /// <param name="tlsKeyFile">The certificate's private key (PEM).</param>
    internal SmtpServerFixture(int? port, string? tlsCertFile = null, string? tlsKeyFile = null)
    {
        EnsureImportable("aiosmtpd");
        _root = Directory.CreateTempSubdirectory("blueteam-smtp-").FullName;
        MaildirPath = Path.Combine(_root, "maildir");
        Port = port ?? FreeLoopbackPort();

        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        var args = new List<string> { "-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{Port}" };
        if (tlsCertFile is not null && tlsKeyFile is not null) args.AddRange(["--tlscert", tlsCertFile, "--tlskey", tlsKeyFile]);
        args.AddRange(["-c", "aiosmtpd.handlers.Mailbox", MaildirPath]);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        _server = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Python} -m aiosmtpd");
        _server.ErrorDataReceived += (_, e) => { lock (_serverOutput) _serverOutput.AppendLine(e.Data); };
        _server.OutputDataReceived += (_, e) => { lock (_serverOutput) _serverOutput.AppendLine(e.Data); };
        _server.BeginErrorReadLine();
        _server.BeginOutputReadLine();
        WaitUntilListening(TimeSpan.FromSeconds(20));
    }

    public int Port { get; }
    public string MaildirPath { get; }

    /// <summary>Waits for a received message that matches, parsed by MimeKit; fails the test after the timeout.</summary>
    public async Task<MimeMessage> WaitForMessageAsync(Func<MimeMessage, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var newDir = Path.Combine(MaildirPath, "new");
        while (true)
        {
            if (Directory.Exists(newDir))
            {
                foreach (var file in Directory.GetFiles(newDir))
                {
                    var message = await MimeMessage.LoadAsync(file);
                    if (match(message)) return message;
                }
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"no matching message arrived in {MaildirPath} within {timeout}; server output:\n{ServerOutput}");
            await Task.Delay(50);
        }
    }

    /// <summary>Every message received so far, parsed.</summary>
    public IReadOnlyList<MimeMessage> Messages()
    {
        var newDir = Path.Combine(MaildirPath, "new");
        return Directory.Exists(newDir) ? Directory.GetFiles(newDir).Select(f => MimeMessage.Load(f)).ToList() : [];
    }

    public string ServerOutput { get { lock (_serverOutput) return _serverOutput.ToString(); } }

    /// <summary>A loopback port nothing listens on (bound, read, released).</summary>
    public static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public void Dispose()
    {
        if (!_server.HasExited)
        {
            _server.Kill(entireProcessTree: true);
            _server.WaitForExit(5000);
        }
        _server.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>Fails with the install hint when <paramref name="module"/> cannot be imported by the system python.</summary>
    internal static void EnsureImportable(string module)
    {
        const string hint = "The e-mail channel tests need a real SMTP server: Debian's python3-aiosmtpd. "
            + "Run the test command given in README.md, which installs python3-aiosmtpd, instead of calling dotnet test directly.";
        if (!File.Exists(Python)) throw new InvalidOperationException($"{Python} not found. {hint}");
        var check = new ProcessStartInfo(Python) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        check.ArgumentList.Add("-c");
        check.ArgumentList.Add($"import {module}");
        using var p = Process.Start(check) ?? throw new InvalidOperationException($"could not run {Python}. {hint}");
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"'import {module}' failed: {stderr.Trim()}. {hint}");
    }

    private void WaitUntilListening(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_server.HasExited)
                throw new InvalidOperationException($"aiosmtpd exited with code {_server.ExitCode} before listening:\n{ServerOutput}");
            using var probe = new TcpClient();
            try
            {
                probe.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                // Not listening yet: the interpreter is still starting. Try again until the deadline.
            }
            if (DateTime.UtcNow > deadline)
            {
                Dispose();
                throw new TimeoutException($"aiosmtpd did not listen on 127.0.0.1:{Port} within {timeout}:\n{ServerOutput}");
            }
            Thread.Sleep(100);
        }
    }
}
