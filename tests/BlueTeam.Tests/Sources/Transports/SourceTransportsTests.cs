using BlueTeam.Core.Config;
using BlueTeam.Sources;
using BlueTeam.Sources.Transports;
using BlueTeam.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace BlueTeam.Tests.Sources.Transports;

public class SourceTransportsTests
{
    private static readonly SourceContext Context = new(new InMemoryCheckpointStore(), NullLogger.Instance, TimeProvider.System);

    [Theory]
    [InlineData("auth", null, typeof(FileTailer))]
    [InlineData("access", null, typeof(FileTailer))]
    [InlineData("journald", null, typeof(JournaldSource))]
    [InlineData("auth", "journald", typeof(JournaldSource))]
    [InlineData("json", "file", typeof(FileTailer))]
    public void Create_TransportOrLegacyType_BuildsThatSource(string type, string? transport, Type expected)
    {
        var options = new CollectorOptions { Type = type, Transport = transport, Paths = ["/var/log/x.log"] };

        var source = SourceTransports.Default.Create("c", options, Context);

        Assert.IsType(expected, source);
    }

    [Fact]
    public void Create_UnknownTransport_NamesKeyAndKnownTransports()
    {
        var options = new CollectorOptions { Transport = "carrier_pigeon" };

        var e = Assert.Throws<ConfigException>(() => SourceTransports.Default.Create("web", options, Context));

        var error = Assert.Single(e.Errors);
        Assert.Equal("collectors.web.transport", error.Key);
        Assert.Equal("unknown transport 'carrier_pigeon' (known: file, journald, stdin)", error.Message);
    }

    [Fact]
    public void Parse_TransportKey_BindsAndValidates()
    {
        var config = ConfigLoader.Parse("collectors:\n  web:\n    transport: file\n    type: access\n    paths: [/var/log/nginx/access.log]\n", "test.yaml");

        Assert.Equal("file", SourceTransports.Default.TransportOf(config.Collectors["web"]));
        Assert.Equal("access", config.Collectors["web"].Type);
    }

    [Fact]
    public void Validate_BadTransportName_IsAProblemOnTransport()
    {
        var problems = new CollectorOptions { Transport = "File Tail", Paths = ["/x"] }.Validate().ToList();

        Assert.Contains(problems, p => p.Key == "transport");
    }

    [Theory]
    [InlineData("journald", null, "journald")]
    [InlineData("auth", null, "file")]
    [InlineData("json", "stdin", "stdin")]
    public void TransportOf_UnnamedTransport_IsTheOneTheFormatImpliesElseFile(string type, string? transport, string expected) =>
        Assert.Equal(expected, SourceTransports.Default.TransportOf(new CollectorOptions { Type = type, Transport = transport }));

    [Fact]
    public void Problems_FileTransportWithoutPaths_IsAProblemOnPaths()
    {
        var collectors = new Dictionary<string, CollectorOptions>
        {
            ["web"] = new() { Type = "access" },
            ["journal"] = new() { Type = "journald" },
            ["off"] = new() { Type = "access", Enabled = false },
        };

        var error = Assert.Single(SourceTransports.Default.Problems(collectors));

        Assert.Equal(("collectors.web.paths", "needs at least one path"), (error.Key, error.Message));
    }
}
