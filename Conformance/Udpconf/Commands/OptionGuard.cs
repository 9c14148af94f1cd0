using System.Globalization;
using System.Reflection;
using Spectre.Console.Cli;

namespace Udpconf.Cli.Commands;

/// <summary>
/// Checks the options that take a value before Spectre parses the arguments. Spectre fills an option whose value is
/// missing (last on the line, or followed by another option) with the name of its default command,
/// <c>__default_command</c>, so that <c>check --report-dir</c> ran the whole suite and wrote into ./__default_command;
/// and it reports a malformed number without naming the option ("Failed to convert '-1' to Nullable`1.").
/// The options and their value types are read from the commands' settings classes, so a new option is covered as
/// soon as it is declared.
/// </summary>
public static class OptionGuard
{
    /// <summary>The settings class of each command, by the command's name: the commands are named after their classes
    /// (CheckCommand is check, SpecMapCommand spec-map), which OptionGuardTests checks against the app.</summary>
    private static readonly Lazy<Dictionary<string, Type>> SettingsByCommand = new(() => typeof(OptionGuard).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && t.Name.EndsWith("Command", StringComparison.Ordinal) && t.BaseType is { IsGenericType: true } b
                    && b.GetGenericTypeDefinition() == typeof(Command<>))
        .ToDictionary(t => CommandName(t), t => t.BaseType!.GetGenericArguments()[0]));

    public static string CommandName(Type command) =>
        string.Concat(command.Name[..^"Command".Length].Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    public static IReadOnlyCollection<string> Commands => SettingsByCommand.Value.Keys;

    /// <summary>Every option name (long and short, with dashes) of one settings class that takes a value, with its type.</summary>
    private static Dictionary<string, Type> ValueOptions(Type settings)
    {
        var options = new Dictionary<string, Type>(StringComparer.Ordinal);
        foreach (var property in settings.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<CommandOptionAttribute>() is not { ValueName: not null, ValueIsOptional: false } option) continue;
            var type = property.PropertyType.IsArray ? property.PropertyType.GetElementType()! : property.PropertyType;
            type = Nullable.GetUnderlyingType(type) ?? type;
            foreach (var name in option.LongNames.Select(n => "--" + n).Concat(option.ShortNames.Select(n => "-" + n)))
                options[name] = type;
        }
        return options;
    }

    /// <summary>Null when every value option has a value its type can read; else one line saying which does not.</summary>
    public static string? Check(IReadOnlyList<string> args)
    {
        // The first argument names the command; without a known one Spectre says what is wrong.
        if (args.Count == 0 || !SettingsByCommand.Value.TryGetValue(args[0], out var settings)) return null;
        var options = ValueOptions(settings);
        for (var i = 1; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--") break; // what follows is arguments, not options
            if (!arg.StartsWith('-')) continue;
            var equals = arg.StartsWith("--", StringComparison.Ordinal) ? arg.IndexOf('=') : -1;
            var name = equals < 0 ? arg : arg[..equals];
            if (!options.TryGetValue(name, out var type)) continue;
            string value;
            if (equals >= 0) value = arg[(equals + 1)..];
            else if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal) || options.ContainsKey(args[i + 1]))
                return $"option {name} needs a value";
            else value = args[++i];
            if (value.Length == 0) return $"option {name} needs a value";
            if (!Reads(type, value)) return $"option {name} takes {Describe(type)}, not '{value}'";
        }
        return null;
    }

    private static bool Reads(Type type, string value) => Type.GetTypeCode(type) switch
    {
        TypeCode.Int32 => int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
        TypeCode.Int64 => long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
        TypeCode.UInt64 => ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _),
        TypeCode.UInt32 => uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _),
        TypeCode.UInt16 => ushort.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _),
        _ => true, // text: paths, names, targets; their commands judge them
    };

    private static string Describe(Type type) => Type.GetTypeCode(type) switch
    {
        TypeCode.Int32 => $"a whole number from {int.MinValue} to {int.MaxValue}",
        TypeCode.Int64 => "a whole number",
        TypeCode.UInt64 => $"a whole number from 0 to {ulong.MaxValue}",
        TypeCode.UInt32 => $"a whole number from 0 to {uint.MaxValue}",
        TypeCode.UInt16 => "a whole number from 0 to 65535",
        _ => "a value",
    };
}
