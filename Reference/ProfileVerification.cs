// Written by ./udpconf kernel-record from a run on the live kernel: do not edit.
namespace Udpconf.Reference;

public static class ProfileVerification
{
    public const string? LinuxVerifiedAgainst = "6.18.44-fc-v1272";
    public const string? Linux612VerifiedAgainst = "6.12.118+deb12-amd64";
    public const string? Linux61VerifiedAgainst = "6.1.0-57-amd64";
}
