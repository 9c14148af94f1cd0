using Udpconf.Reference;
using Udpconf.Reference.Api;
using Udpconf.Reference.Host;
using Udpconf.Reference.Symbols;
using Xunit;

namespace Udpconf.Tests.Model.Symbols;

/// <summary>A model's symbols in order, free identifications kept as their place only (issue 17): read by index or in
/// order, each is the symbol a model keeping them whole held, ipid#N for the Nth free one.</summary>
public class SymbolTableTests
{
    [Fact]
    public void Free_identifications_read_in_their_place_among_the_symbols_kept_whole()
    {
        var table = new SymbolTable();
        var port = new Symbol("port:s", SymbolKind.EphemeralPort, 32768, 60999);
        var counter = new Symbol("ipid:s", SymbolKind.IdentCounter);
        Assert.Equal("ipid#1", table.AddFreeIdent());
        Assert.Equal("ipid#2", table.AddFreeIdent());
        table.Add(port);
        Assert.Equal("ipid#3", table.AddFreeIdent());
        table.Add(counter);
        Assert.Equal("ipid#4", table.AddFreeIdent());
        Assert.Equal("ipid#5", table.AddFreeIdent());

        Symbol[] expected =
        [
            Free(1), Free(2), port, Free(3), counter, Free(4), Free(5),
        ];
        Assert.Equal(expected.Length, table.Count);
        Assert.Equal(5, table.FreeIdents);
        Assert.Equal(expected, table);
        Assert.Equal(expected, Enumerable.Range(0, table.Count).Select(i => table[i]));
        Assert.Same(port, table[2]);
        Assert.Throws<ArgumentOutOfRangeException>(() => table[-1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => table[expected.Length]);
    }

    [Fact]
    public void A_table_of_kept_symbols_only_or_free_identifications_only_reads_as_it_was_filled()
    {
        var kept = new SymbolTable();
        Assert.Empty(kept);
        var first = new Symbol("port:a", SymbolKind.EphemeralPort);
        var second = new Symbol("port:b", SymbolKind.EphemeralPort);
        kept.Add(first);
        kept.Add(second);
        Assert.Equal([first, second], kept);
        Assert.Equal(0, kept.FreeIdents);

        var free = new SymbolTable();
        for (var i = 1; i <= 100; i++) Assert.Equal($"ipid#{i}", free.AddFreeIdent());
        Assert.Equal(Enumerable.Range(1, 100).Select(Free), free);
    }

    /// <summary>In a model, a run of unconnected sends (current kernels: a fresh identification each) lists one free
    /// symbol per datagram, named as the datagram's identification, beside the socket's port.</summary>
    [Fact]
    public void Each_unconnected_datagram_lists_the_free_identification_it_carries()
    {
        var model = new Udpconf.Reference.Model(HostConfig.Default, Profile.Linux);
        model.Run(new SocketOp("s"));
        var send = new SendToOp(Fd.Named("s"), UserBuffer.Pattern(10), MsgFlags.None, UserBuffer.Of(SockAddr.In(Hosts.Remote, 9)), SockAddr.InLength);
        var idents = Enumerable.Range(0, 5).Select(_ => model.Run(send).Datagrams.Single().Ident.Symbol).ToArray();
        Assert.Equal(["ipid#1", "ipid#2", "ipid#3", "ipid#4", "ipid#5"], idents);
        Assert.Equal(SymbolKind.EphemeralPort, model.Symbols[0].Kind);
        Assert.Equal(idents, model.Symbols.Skip(1).Select(s => s.Name));
        Assert.All(model.Symbols.Skip(1), s => Assert.Equal(new Symbol(s.Name, SymbolKind.IdentFree), s));
    }

    private static Symbol Free(int number) => new($"ipid#{number}", SymbolKind.IdentFree);
}
