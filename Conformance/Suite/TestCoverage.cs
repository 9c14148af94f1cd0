using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using System.Reflection;
using Udpconf.Reference;

namespace Udpconf.Suite;

/// <summary>
/// Which tests cover which clause, read from the syntax trees of the test sources (Roslyn's C# parser, not patterns
/// over their text). A test method (<c>[Fact]</c>, <c>[Theory]</c> or FsCheck's <c>[Property]</c>) covers a clause
/// in two ways only: a <c>[Trait("clause", "id")]</c> attribute, or an explicit assertion of it in the method's own
/// body: <c>Expect.Error(…, ClauseId.X)</c>, <c>Expect.Value(…, ClauseId.X)</c> or <c>Expect.Passed(…, ClauseId.X)</c>
/// with the clause as the last argument (the outcome was decided by X, or passed X), or
/// <c>Assert.Equal(ClauseId.X, ….Clause)</c>. Any other mention of a ClauseId (a case written, a list compared,
/// <c>Expect.NotPassed</c>) covers nothing.
/// </summary>
public static class TestCoverage
{
    private static readonly string[] TestAttributes = ["Fact", "Theory", "Property"];
    private static readonly string[] ClauseAssertions = ["Error", "Value", "Passed"];

    private static readonly Dictionary<string, string> IdByConstant = typeof(ClauseId)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral)
        .ToDictionary(f => f.Name, f => (string)f.GetRawConstantValue()!);

    /// <summary>Test methods in Conformance/Tests and Properties under <paramref name="root"/>, by clause.</summary>
    public static Dictionary<string, List<SpecMap.TestRef>> ByClause(string root)
    {
        var result = new Dictionary<string, List<SpecMap.TestRef>>();
        foreach (var folder in new[] { Path.Combine(root, "Conformance", "Tests"), Path.Combine(root, "Properties") })
        {
            if (!Directory.Exists(folder)) continue;
            foreach (var path in Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var separator = Path.DirectorySeparatorChar;
                if (path.Contains($"{separator}obj{separator}") || path.Contains($"{separator}bin{separator}")) continue;
                var relative = Path.GetRelativePath(root, path).Replace('\\', '/');
                foreach (var (method, isProperty, clauses) in Covered(File.ReadAllText(path)))
                    foreach (var id in clauses)
                    {
                        if (!result.TryGetValue(id, out var list)) result[id] = list = [];
                        var test = new SpecMap.TestRef(relative, method, isProperty);
                        if (!list.Contains(test)) list.Add(test);
                    }
            }
        }
        return result;
    }

    /// <summary>The test methods of one source file and the clauses each covers (empty when none).</summary>
    public static IEnumerable<(string Method, bool IsProperty, IReadOnlyCollection<string> Clauses)> Covered(string source)
    {
        var tree = CSharpSyntaxTree.ParseText(source);
        foreach (var method in tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>())
        {
            var attributes = method.AttributeLists.SelectMany(list => list.Attributes).ToArray();
            var kinds = attributes.Select(a => Name(a.Name)).Where(TestAttributes.Contains).ToArray();
            if (kinds.Length == 0) continue;
            var clauses = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var trait in attributes.Where(a => Name(a.Name) == "Trait" && a.ArgumentList?.Arguments.Count == 2))
                if (Text(trait.ArgumentList!.Arguments[0].Expression) == "clause" && Clause(trait.ArgumentList.Arguments[1].Expression) is { } id)
                    clauses.Add(id);
            var body = (SyntaxNode?)method.Body ?? method.ExpressionBody;
            foreach (var call in body?.DescendantNodes().OfType<InvocationExpressionSyntax>() ?? [])
                if (Asserted(call) is { } id)
                    clauses.Add(id);
            yield return (method.Identifier.Text, kinds.Contains("Property"), clauses);
        }
    }

    /// <summary>The clause an invocation asserts explicitly, or null.</summary>
    private static string? Asserted(InvocationExpressionSyntax call)
    {
        if (call.Expression is not MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax receiver } access) return null;
        var arguments = call.ArgumentList.Arguments;
        return (receiver.Identifier.Text, access.Name.Identifier.Text) switch
        {
            ("Expect", var name) when ClauseAssertions.Contains(name) && arguments.Count >= 2 => Clause(arguments[^1].Expression),
            ("Assert", "Equal") when arguments.Count == 2 &&
                                     arguments[1].Expression is MemberAccessExpressionSyntax { Name.Identifier.Text: "Clause" } =>
                Clause(arguments[0].Expression),
            _ => null,
        };
    }

    /// <summary>The clause id an expression names: <c>ClauseId.X</c> or a string literal that is a clause id.</summary>
    private static string? Clause(ExpressionSyntax expression) => expression switch
    {
        MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.Text: "ClauseId" } } access =>
            IdByConstant.GetValueOrDefault(access.Name.Identifier.Text),
        LiteralExpressionSyntax literal when literal.IsKind(SyntaxKind.StringLiteralExpression) => literal.Token.ValueText,
        _ => null,
    };

    private static string? Text(ExpressionSyntax expression) =>
        expression is LiteralExpressionSyntax literal && literal.IsKind(SyntaxKind.StringLiteralExpression) ? literal.Token.ValueText : null;

    /// <summary>An attribute's simple name: <c>Xunit.FactAttribute</c> → Fact.</summary>
    private static string Name(NameSyntax name)
    {
        var simple = name switch
        {
            QualifiedNameSyntax qualified => qualified.Right.Identifier.Text,
            AliasQualifiedNameSyntax alias => alias.Name.Identifier.Text,
            SimpleNameSyntax plain => plain.Identifier.Text,
            _ => name.ToString(),
        };
        return simple.EndsWith("Attribute", StringComparison.Ordinal) ? simple[..^"Attribute".Length] : simple;
    }
}
