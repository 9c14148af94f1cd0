namespace Udpconf.Reference.Symbols;

/// <summary>What a symbol stands for, and so which values it may take.</summary>
public enum SymbolKind
{
    /// <summary>An ephemeral port: within the local port range, distinct from every other port bound on the host,
    /// stable while the socket keeps it.</summary>
    EphemeralPort,
    /// <summary>The base of an identification counter (a connected socket's, or a destination's in 2.6): datagrams
    /// take base + 0, base + 1, ... in order.</summary>
    IdentCounter,
    /// <summary>An identification chosen freshly for one datagram (current kernels' hashed generator): any value,
    /// shared by the fragments of that datagram.</summary>
    IdentFree,
    /// <summary>The kernel's tick rate, CONFIG_HZ: the unit socket timeouts are kept in, one value for the whole host.
    /// It is one of <see cref="Symbol.TickRates"/>, the choices kernel/Kconfig.hz offers.</summary>
    TickRate,
}

/// <summary>A value the implementation chooses, with the constraints it obeys.</summary>
public sealed record Symbol(string Name, SymbolKind Kind, ushort Low = 0, ushort High = ushort.MaxValue)
{
    /// <summary>The CONFIG_HZ values kernel/Kconfig.hz offers (HZ_100, HZ_250, HZ_300, HZ_1000).</summary>
    public static IReadOnlyList<ushort> TickRates { get; } = [100, 250, 300, 1000];

    public bool Admits(ushort value) =>
        value >= Low && value <= High && (Kind != SymbolKind.TickRate || TickRates.Contains(value));

    /// <summary>Every value a symbol of few values may take (a tick rate), for binding it from bytes that are a function
    /// of it; null for the kinds that admit a range.</summary>
    public IReadOnlyList<ushort>? Candidates => Kind == SymbolKind.TickRate ? TickRates.Where(Admits).ToArray() : null;

    /// <summary>The values it may take, as reports write them: <c>100|250|300|1000</c> or <c>LOW..HIGH</c>.</summary>
    public string Values => Candidates is { } values ? string.Join("|", values) : $"{Low}..{High}";
}

/// <summary>Bytes that are a function of one symbol's value: what a getsockopt reads back when it depends on a choice
/// of the implementation's build (a timeout kept in jiffies of CONFIG_HZ). A comparison binds the symbol to the
/// candidate whose rendering matches what the target returned.</summary>
public abstract record SymbolicBytes(string Symbol)
{
    public abstract byte[] Render(ushort value);

    /// <summary>The symbol's value the bytes a target returned say, for a symbol of many values (a port); null when
    /// they do not say it.</summary>
    public virtual ushort? Solve(ReadOnlySpan<byte> observed) => null;

    /// <summary>The bytes as a case file writes them after <c>value</c> (e.g. <c>timeout:0.000001</c>).</summary>
    public abstract string Describe();
}

/// <summary>A port as the model knows it: a concrete number, or a symbol bound later.</summary>
public readonly record struct PortValue(ushort Concrete, string? Symbol)
{
    public static PortValue Of(ushort port) => new(port, null);
    public static PortValue Of(Symbol symbol) => new(0, symbol.Name);
    public bool IsSymbolic => Symbol is not null;
    public ushort Resolve(Bindings bindings) => Symbol is null ? Concrete : bindings[Symbol];
    public override string ToString() => Symbol ?? Concrete.ToString();
}

/// <summary>An IP identification: a constant, a counter symbol plus a step, or a free symbol.</summary>
public readonly record struct IdentValue(ushort Constant, string? Symbol, int Step)
{
    public static IdentValue Of(ushort value) => new(value, null, 0);
    public static IdentValue Counter(Symbol symbol, int step) => new(0, symbol.Name, step);
    public static IdentValue Free(string symbol) => new(0, symbol, 0);
    public ushort Resolve(Bindings bindings) => Symbol is null ? Constant : unchecked((ushort)(bindings[Symbol] + Step));
    public override string ToString() => Symbol is null ? Constant.ToString() : Step == 0 ? Symbol : $"{Symbol}+{Step}";
}

/// <summary>
/// Values bound to symbols: from what an implementation emitted (a comparison binds each symbol once, then
/// compares every byte), or chosen from a seed when the model must write concrete bytes.
/// </summary>
public sealed class Bindings
{
    private readonly Dictionary<string, ushort> values = new();

    public ushort this[string symbol] =>
        values.TryGetValue(symbol, out var value) ? value : throw new KeyNotFoundException($"symbol {symbol} is not bound");

    public bool IsBound(string symbol) => values.ContainsKey(symbol);

    public IReadOnlyDictionary<string, ushort> Values => values;

    /// <summary>Binds a symbol, or checks a binding made before: false when the value contradicts it or the symbol's
    /// constraints.</summary>
    public bool TryBind(Symbol symbol, ushort value)
    {
        if (values.TryGetValue(symbol.Name, out var bound)) return bound == value;
        if (!symbol.Admits(value)) return false;
        values[symbol.Name] = value;
        return true;
    }

    /// <summary>Binds an identification seen on the wire: for a counter, the base is the value less the step.</summary>
    public bool TryBind(Symbol symbol, IdentValue ident, ushort observed) =>
        TryBind(symbol, unchecked((ushort)(observed - ident.Step)));

    /// <summary>A copy in which every symbol not bound yet takes its lowest admitted value: enough to render bytes
    /// for a diff without committing the real bindings.</summary>
    public Bindings CompletedWith(IEnumerable<Symbol> symbols)
    {
        var copy = new Bindings();
        foreach (var (name, value) in values) copy.values[name] = value;
        foreach (var symbol in symbols) copy.values.TryAdd(symbol.Name, symbol.Low);
        return copy;
    }

    /// <summary>Concrete values for every symbol, deterministic in the seed and within each symbol's constraints;
    /// ephemeral ports are distinct from each other and from <paramref name="portsInUse"/>.</summary>
    public static Bindings FromSeed(int seed, IEnumerable<Symbol> symbols, IEnumerable<ushort>? portsInUse = null)
    {
        var random = new Random(seed);
        var bindings = new Bindings();
        var taken = new HashSet<ushort>(portsInUse ?? []);
        foreach (var symbol in symbols)
        {
            if (bindings.IsBound(symbol.Name)) continue;
            ushort value;
            if (symbol.Kind == SymbolKind.EphemeralPort)
            {
                var span = symbol.High - symbol.Low + 1;
                var start = random.Next(span);
                value = symbol.Low;
                for (var i = 0; i < span; i++)
                {
                    var candidate = (ushort)(symbol.Low + (start + i) % span);
                    if (taken.Add(candidate)) { value = candidate; break; }
                }
            }
            else if (symbol.Candidates is { Count: > 0 } candidates)
            {
                value = candidates[random.Next(candidates.Count)];
            }
            else
            {
                value = (ushort)random.Next(symbol.Low, symbol.High + 1);
            }
            bindings.values[symbol.Name] = value;
        }
        return bindings;
    }
}
