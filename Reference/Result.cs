namespace Udpconf.Reference;

/// <summary>A value or an <see cref="Errno"/>, for the leaf lookups that know no clause (RouteLookup, IpOptions.Compile;
/// ReleaseSocket looks a route up outside any clause). Their callers name the clause and stop with a <see cref="Stop"/>;
/// every step that decides a clause gives a <see cref="Step{T}"/>.</summary>
public readonly struct Result<T>
{
    private readonly T? value;

    private Result(T? value, Errno? error)
    {
        this.value = value;
        Error = error;
    }

    public Errno? Error { get; }
    public bool IsError => Error is not null;
    public T Value => Error is null ? value! : throw new InvalidOperationException($"result is an error: {Error}");

    public static implicit operator Result<T>(T value) => new(value, null);
    public static implicit operator Result<T>(Errno error) => new(default, error);
}
