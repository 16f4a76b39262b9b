namespace Etcd.Node.Configuration;

/// <summary>
/// The command line as Go's flag package reads it for etcd: <c>-flag</c> or <c>--flag</c>, with the value
/// either after '=' or as the next argument; a bare boolean flag means true. Parsing stops at the first
/// non-flag argument or "--", and etcd refuses any such leftover. Values are typed here, so a bad value
/// fails with the flag's name in the message.
/// </summary>
public sealed record CommandLine(
    IReadOnlyDictionary<string, object> Values,
    string? ConfigFile,
    bool ShowVersion,
    bool ShowHelp)
{
    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, object>();
        string? configFile = null;
        bool version = false, help = false;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                if (i + 1 < args.Count) throw NotAFlag(args[i + 1]);
                break;
            }
            if (arg.Length < 2 || arg[0] != '-') throw NotAFlag(arg);
            var dashes = arg[1] == '-' ? 2 : 1;
            var body = arg[dashes..];
            if (body.Length == 0 || body[0] == '-' || body[0] == '=') throw new FlagException($"bad flag syntax: {arg}");
            var eq = body.IndexOf('=');
            var name = eq < 0 ? body : body[..eq];
            var inline = eq < 0 ? null : body[(eq + 1)..];

            switch (name)
            {
                case "h" or "help":
                    help = true;
                    continue;
                case "version":
                    version = inline is null || (FlagValues.ParseBool(inline)
                        ?? throw new FlagException($"invalid boolean value \"{inline}\" for -version: parse error"));
                    continue;
                case "config-file":
                    configFile = inline ?? NextValue(args, ref i, name);
                    continue;
            }

            var spec = FlagCatalog.Find(name) ?? throw new FlagException($"flag provided but not defined: -{name}");
            string text;
            if (inline is not null) text = inline;
            else if (spec.Kind == FlagKind.Bool)
            {
                // Go takes a bare boolean flag as true. We also take "--flag true|false" as two arguments,
                // which Go would reject as a stray argument; it is the form people write for other flags.
                text = i + 1 < args.Count && FlagValues.ParseBool(args[i + 1]) is not null ? args[++i] : "true";
            }
            else text = NextValue(args, ref i, name);

            values[name] = ParseValue(spec, text);
        }
        return new CommandLine(values, configFile, version, help);
    }

    private static object ParseValue(FlagSpec spec, string text)
    {
        try
        {
            return FlagValues.Parse(spec, text);
        }
        catch (FormatException e) when (spec.Kind == FlagKind.Bool)
        {
            throw new FlagException($"invalid boolean value \"{text}\" for -{spec.Name}: {e.Message}");
        }
        catch (FormatException e)
        {
            throw new FlagException($"invalid value \"{text}\" for flag -{spec.Name}: {e.Message}");
        }
    }

    private static string NextValue(IReadOnlyList<string> args, ref int i, string name) =>
        i + 1 < args.Count ? args[++i] : throw new FlagException($"flag needs an argument: -{name}");

    private static FlagException NotAFlag(string arg) =>
        arg is "gateway" or "grpc-proxy"
            ? new FlagException($"'etcd {arg}' is not built: Etcd.Actors has no proxy modes")
            : new FlagException($"error verifying flags, '{arg}' is not a valid flag. See 'etcd --help'.");
}
