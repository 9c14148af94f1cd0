using Udpconf.Reference.Host;
using Xunit;

namespace Udpconf.Tests;

public class Ipv4AddressTests
{
    [Theory]
    [InlineData("192.0.2.1", 0xC0000201u)]
    [InlineData("255.255.255.255", 0xFFFFFFFFu)]
    [InlineData("0.0.0.0", 0u)]
    public void Parse_gives_the_host_order_value(string text, uint value)
    {
        Assert.Equal(value, Ipv4Address.Parse(text).Value);
        Assert.Equal(text, Ipv4Address.Parse(text).ToString());
    }

    [Theory]
    [InlineData("192.0.2")]
    [InlineData("192.0.2.256")]
    [InlineData("192.0.2.-1")]
    [InlineData("")]
    public void TryParse_refuses_malformed_text(string text) => Assert.False(Ipv4Address.TryParse(text, out _));
}
