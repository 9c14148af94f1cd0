using System.Reflection;
using System.Reflection.Emit;
using Udpconf.Reference;
using Xunit;

namespace Udpconf.Tests.Model;

/// <summary>
/// The model's layers form a DAG, as the kernel's do: Model → Syscall → Socket → Udp → Ip → Base. A type may use
/// types of its own layer and of lower ones, never of a higher one. Base is Host, Wire, Api and Symbols, and the
/// root types every layer needs (Errno, ClauseId and Clause, Profile, the clause sites, Step and Stop, FileObject). Call and
/// Outcome (and the records an outcome carries) sit with Ip: an outcome carries Ip's datagrams, and Ip records its
/// clauses on the call. Model, the dispatcher of operations, sits on top. A new root type must be given a layer
/// here before the test passes.
/// </summary>
public class LayeringTests
{
    private enum Layer { Base, Ip, Udp, Socket, Syscall, Top }

    private const string Root = "Udpconf.Reference";

    private static readonly Dictionary<string, Layer> Namespaces = new()
    {
        [Root + ".Host"] = Layer.Base,
        [Root + ".Wire"] = Layer.Base,
        [Root + ".Api"] = Layer.Base,
        [Root + ".Symbols"] = Layer.Base,
        [Root + ".Ip"] = Layer.Ip,
        [Root + ".Udp"] = Layer.Udp,
        [Root + ".Socket"] = Layer.Socket,
        [Root + ".Syscall"] = Layer.Syscall,
    };

    /// <summary>The root namespace's types, one by one.</summary>
    private static readonly Dictionary<string, Layer> RootTypes = new()
    {
        ["Errno"] = Layer.Base,
        ["ErrnoNames"] = Layer.Base,
        ["ClauseId"] = Layer.Base,
        ["Clause"] = Layer.Base,
        ["ClauseSite"] = Layer.Base,
        ["ClauseTrace"] = Layer.Base,
        ["ClauseBits"] = Layer.Base,
        ["ClauseRecorder"] = Layer.Base,
        ["Profile"] = Layer.Base,
        ["ProfileVerification"] = Layer.Base,
        ["KernelChangeAttribute"] = Layer.Base,
        ["Limits"] = Layer.Base,
        ["Limit"] = Layer.Base,
        ["Past"] = Layer.Base,
        ["IdentPolicy"] = Layer.Base,
        ["Result`1"] = Layer.Base,
        ["OutcomeKind"] = Layer.Base,
        ["Step`1"] = Layer.Base,
        ["Stop"] = Layer.Base,
        ["Nothing"] = Layer.Base,
        ["FileObject"] = Layer.Base,
        ["Call"] = Layer.Ip,
        ["Outcome"] = Layer.Ip,
        ["CounterDelta"] = Layer.Ip,
        ["ErrorOrigin"] = Layer.Ip,
        ["ErrorQueueEntry"] = Layer.Ip,
        ["Alternative"] = Layer.Ip,
        ["Model"] = Layer.Top,
    };

    private static readonly Assembly Reference = typeof(Udpconf.Reference.Model).Assembly;

    [Fact]
    public void Every_type_of_the_model_uses_only_its_own_layer_and_lower_ones()
    {
        var violations = new SortedSet<string>();
        foreach (var type in Reference.GetTypes())
        {
            if (LayerOf(type) is not { } layer) continue;
            foreach (var used in Uses(type))
            {
                if (LayerOf(used) is { } usedLayer && usedLayer > layer)
                    violations.Add($"{type.FullName} ({layer}) uses {used.FullName} ({usedLayer})");
            }
        }
        Assert.True(violations.Count == 0, "layering violations:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void Every_type_of_the_model_has_a_layer()
    {
        var unplaced = Reference.GetTypes().Where(t => !t.IsNested && t.Namespace?.StartsWith(Root) == true && LayerOf(t) is null)
            .Select(t => t.FullName).ToArray();
        Assert.Empty(unplaced);
    }

    [Fact]
    public void The_scan_sees_uses_in_signatures_fields_and_method_bodies()
    {
        // The model dispatches to the syscall layer in Run's body, and Model's fields hold types of lower layers.
        var used = Uses(typeof(Udpconf.Reference.Model)).Select(t => t.FullName).ToHashSet();
        Assert.Contains("Udpconf.Reference.Syscall.SysSendto", used);
        Assert.Contains("Udpconf.Reference.Api.SendToOp", used);
    }

    private static Layer? LayerOf(Type type)
    {
        while (type.IsNested) type = type.DeclaringType!;
        if (type.Assembly != Reference || type.Namespace is null) return null;
        if (type.Namespace == Root) return RootTypes.TryGetValue(type.Name, out var layer) ? layer : null;
        return Namespaces.TryGetValue(type.Namespace, out var ns) ? ns : null;
    }

    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance |
                                     BindingFlags.Static | BindingFlags.DeclaredOnly;

    /// <summary>Every type <paramref name="type"/> names: base type, interfaces, fields, properties, events, method
    /// and constructor signatures, locals, and the types, methods and fields its method bodies' IL refers to.</summary>
    private static HashSet<Type> Uses(Type type)
    {
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null) return;
            if (t.HasElementType) { Add(t.GetElementType()); return; }
            if (t.IsGenericParameter) return;
            if (t.IsGenericType && !t.IsGenericTypeDefinition)
            {
                foreach (var argument in t.GetGenericArguments()) Add(argument);
                t = t.GetGenericTypeDefinition();
            }
            found.Add(t);
        }

        Add(type.BaseType);
        foreach (var i in type.GetInterfaces()) Add(i);
        foreach (var f in type.GetFields(All)) Add(f.FieldType);
        foreach (var p in type.GetProperties(All)) Add(p.PropertyType);
        foreach (var e in type.GetEvents(All)) Add(e.EventHandlerType);
        var methods = type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All));
        foreach (var method in methods)
        {
            if (method is MethodInfo info) Add(info.ReturnType);
            foreach (var parameter in method.GetParameters()) Add(parameter.ParameterType);
            var body = method.GetMethodBody();
            if (body is null) continue;
            foreach (var local in body.LocalVariables) Add(local.LocalType);
            foreach (var member in ReferencedMembers(method, body.GetILAsByteArray() ?? []))
            {
                switch (member)
                {
                    case Type t: Add(t); break;
                    case FieldInfo f: Add(f.DeclaringType); Add(f.FieldType); break;
                    case MethodBase m:
                        Add(m.DeclaringType);
                        if (m is MethodInfo mi)
                        {
                            Add(mi.ReturnType);
                            if (mi.IsGenericMethod) foreach (var a in mi.GetGenericArguments()) Add(a);
                        }
                        foreach (var parameter in m.GetParameters()) Add(parameter.ParameterType);
                        break;
                }
            }
        }
        foreach (var nested in type.GetNestedTypes(All)) found.UnionWith(Uses(nested));
        return found;
    }

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>The members the IL's metadata tokens name (ldfld, call, newobj, box, castclass, ldtoken, ...).</summary>
    private static IEnumerable<MemberInfo> ReferencedMembers(MethodBase method, byte[] il)
    {
        var module = method.Module;
        var typeArguments = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (var at = 0; at < il.Length;)
        {
            short value = il[at++];
            if (value == 0xFE) value = (short)(0xFE00 | il[at++]);
            var opcode = OpCodesByValue[value];
            switch (opcode.OperandType)
            {
                case OperandType.InlineNone: break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar: at += 1; break;
                case OperandType.InlineVar: at += 2; break;
                case OperandType.InlineI8 or OperandType.InlineR: at += 8; break;
                case OperandType.InlineSwitch: at += 4 + 4 * BitConverter.ToInt32(il, at); break;
                case OperandType.InlineType or OperandType.InlineTok or OperandType.InlineMethod or OperandType.InlineField:
                {
                    var token = BitConverter.ToInt32(il, at);
                    at += 4;
                    if (module.ResolveMember(token, typeArguments, methodArguments) is { } member) yield return member;
                    break;
                }
                default: at += 4; break;
            }
        }
    }
}
