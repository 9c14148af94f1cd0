using Udpconf.Reference.Api;
using Udpconf.Suite.Targets;
using Xunit;

namespace Udpconf.Tests.Targets;

/// <summary>A target's descriptors are numbered as the model numbers them, and a case's name is its number.</summary>
public class DescriptorsTests
{
    [Fact]
    public void A_closed_name_keeps_its_number_and_reaches_the_file_that_reuses_it()
    {
        var descriptors = new Descriptors(1 << 29);
        Assert.Equal(3, descriptors.Install("s", 17));
        descriptors.Closed(17);
        // Closed and not reused: a descriptor no implementation has (EBADF), as sendto(3) after close(3).
        Assert.Equal((1 << 29) + 3, descriptors.Resolve(Fd.Named("s")));
        Assert.Equal(3, descriptors.Install("t", 21));
        Assert.Equal(21, descriptors.Resolve(Fd.Named("s")));
        Assert.Equal(21, descriptors.Resolve(Fd.Raw(3)));
        Assert.Equal(-1, descriptors.Resolve(Fd.Named("never")));
    }
}
