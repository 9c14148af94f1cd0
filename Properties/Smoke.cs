using FsCheck.Xunit;
using Udpconf.Reference.Host;

namespace Udpconf.Properties;

public class AddressLaws
{
    [Property]
    public bool Address_text_round_trips(uint value) =>
        Ipv4Address.Parse(new Ipv4Address(value).ToString()).Value == value;
}
