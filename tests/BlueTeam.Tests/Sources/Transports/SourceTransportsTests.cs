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
    [InlineData(CollectorType.Auth, null, typeof(FileTailer))]
    [InlineData(CollectorType.Access, null, typeof(FileTailer))]
    [InlineData(CollectorType.Journald, null, typeof(JournaldSource))]
    [InlineData(CollectorType.Auth, "journald", typeof(JournaldSource))]
    [InlineData(CollectorType.Json, "file", typeof(FileTailer))]
    public void Create_TransportOrLegacyType_BuildsThatSource(CollectorType type, string? transport, Type expected)
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

        Assert.Equal("file", config.Collectors["web"].TransportName);
        Assert.Equal(CollectorType.Access, config.Collectors["web"].Type);
    }

    [Fact]
    public void Validate_BadTransportName_IsAProblemOnTransport()
    {
        var problems = new CollectorOptions { Transport = "File Tail", Paths = ["/x"] }.Validate().ToList();

        Assert.Contains(problems, p => p.Key == "transport");
    }
}
