using System.Text;
using System.Text.Json.Nodes;
using Udpconf.Suite.Targets.Exec;
using Xunit;

namespace Udpconf.Tests.Targets.Exec;

/// <summary>
/// Whatever an implementation writes, reading it gives an answer or a <see cref="ProtocolException"/> naming the
/// problem: never another exception (which would surface as udpconf's "internal error"). Random replies and hello
/// replies are built from the protocol's own field names with values of every JSON kind (huge, negative and fractional
/// numbers, strings with control characters, nested lists and objects); random lines are fed to the line parser. The
/// seeds are fixed, so a failure replays; the message names the input.
/// </summary>
public sealed class ProtocolFuzzTests
{
    /// <summary>Their verdicts are about reading whatever an adapter writes, whatever the model answers.</summary>
    public ProtocolFuzzTests() => Capability.NotInMutationRun("the protocol reader's fuzzing");

    private static readonly string[] Fields =
    [
        "op", "id", "ret", "errno", "packets", "link", "hex", "option", "counters", "OutDatagrams", "OutDiscards",
        "SndbufErrors", "OutNoRoutes", "errqueue", "origin", "info", "address", "port", "unsupported", "fault", "blocks",
        "version", "name", "features",
    ];

    private static readonly string[] Strings =
    [
        "", "hello", "local", "icmp", "EINVAL", "ENOTSUP", "95", "-1", "tun0", "lo", "192.0.2.1", "999.1.1.1", "45000014",
        "4500001400000000401100000a0000010a000002", "zz", "abc", "\u001b[2J", "\0", "\u202e", new string('x', 300),
    ];

    private static JsonNode? Value(Random random, int depth)
    {
        switch (random.Next(depth > 2 ? 7 : 9))
        {
            case 0: return null;
            case 1: return JsonValue.Create(random.Next(2) == 0);
            case 2: return JsonValue.Create(random.Next(-3, 70000));
            case 3:
                return JsonValue.Create(random.Next(5) switch
                {
                    0 => long.MaxValue, 1 => long.MinValue, 2 => int.MaxValue + 1L, 3 => -int.MaxValue - 2L, _ => 1L << 40,
                });
            case 4: return JsonValue.Create(random.Next(3) switch { 0 => 1e300, 1 => -0.5, _ => 3.25 });
            case 5: return JsonValue.Create(Strings[random.Next(Strings.Length)]);
            case 6: return JsonValue.Create(new string((char)random.Next(0, 0x3000), random.Next(0, 4)));
            case 7:
            {
                var list = new JsonArray();
                for (var i = random.Next(4); i > 0; i--) list.Add(Value(random, depth + 1));
                return list;
            }
            default: return Object(random, depth + 1);
        }
    }

    private static JsonObject Object(Random random, int depth)
    {
        var o = new JsonObject();
        for (var i = random.Next(1, 6); i > 0; i--) o[Fields[random.Next(Fields.Length)]] = Value(random, depth);
        return o;
    }

    [Fact]
    public void Any_reply_is_read_or_named_as_a_protocol_error()
    {
        var random = new Random(20261203);
        for (var i = 0; i < 20_000; i++)
        {
            var reply = Object(random, 0);
            var text = reply.ToJsonString();
            try { Protocol.ReadReply(reply, counters: random.Next(2) == 0, errorQueue: random.Next(2) == 0); }
            catch (ProtocolException) { }
            catch (Exception e) { Assert.Fail($"reply {i} {text}: {e.GetType().Name}: {e.Message}"); }
        }
    }

    [Fact]
    public void Any_hello_reply_is_read_or_named_as_a_protocol_error()
    {
        var random = new Random(7);
        for (var i = 0; i < 20_000; i++)
        {
            var reply = Object(random, 0);
            if (random.Next(2) == 0) reply["op"] = "hello";
            if (random.Next(2) == 0) reply["version"] = Value(random, 2);
            var text = reply.ToJsonString();
            try
            {
                var (name, features) = Protocol.ReadHelloReply(reply);
                Assert.DoesNotContain(name, c => char.IsControl(c));
                Assert.All(features, f => Assert.DoesNotContain(f.Name, c => char.IsControl(c)));
            }
            catch (ProtocolException) { }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException) { Assert.Fail($"hello reply {i} {text}: {e.GetType().Name}: {e.Message}"); }
        }
    }

    [Fact]
    public void Any_line_is_parsed_or_named_as_a_protocol_error()
    {
        var random = new Random(3);
        var pieces = new[] { "{", "}", "[", "]", "\"", ":", ",", "null", "1e999", "-", "\\u0000", "\\", "\"op\"", "\u001b", "true", " " };
        for (var i = 0; i < 20_000; i++)
        {
            var line = new StringBuilder();
            for (var n = random.Next(0, 12); n > 0; n--) line.Append(pieces[random.Next(pieces.Length)]);
            try { Protocol.Parse(line.ToString(), "a reply"); }
            catch (ProtocolException e) { Assert.DoesNotContain(e.Message, c => c == '\u001b' || c == '\0'); }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException) { Assert.Fail($"line {i} {line}: {e.GetType().Name}: {e.Message}"); }
        }
    }
}
