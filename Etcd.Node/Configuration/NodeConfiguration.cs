using Akka.Configuration;
using Etcd.Actors.Configuration;
using Etcd.Actors.Server;

namespace Etcd.Node.Configuration;

/// <summary>
/// Command line, environment and config file → one HOCON Config → EtcdServerSettings.
/// Precedence: flags, then ETCD_* variables, then --config-file, then reference.conf, then etcd's flag
/// defaults for keys reference.conf does not carry. Pure: the environment and the file reader are passed in.
/// </summary>
public static class NodeConfiguration
{
    public static StartupCommand Load(
        IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment, Func<string, string> readFile)
    {
        var commandLine = CommandLine.Parse(args);
        if (commandLine.ShowHelp) return new ShowHelp();
        if (commandLine.ShowVersion) return new ShowVersion();
        var env = EnvironmentFlags.Read(environment, commandLine);
        var configPath = commandLine.ConfigFile ?? env.ConfigFile;
        var file = configPath is null ? Config.Empty : ConfigFile.Load(configPath, readFile);

        var config = Merge(HoconValues.ToConfig(commandLine.Values), HoconValues.ToConfig(env.Values), file,
            EtcdConfig.Reference, FlagDefaults);
        var values = FlagCatalog.All.ToDictionary(s => s.Name, s => ReadChecked(config, s));
        FeatureGate.Check(values);

        // etcd: listening on explicit client URLs means the default advertised ones are surely wrong.
        bool SetByUser(string name) => commandLine.Values.ContainsKey(name) || env.Values.ContainsKey(name) || file.HasPath("etcd." + name);
        if ((commandLine.Values.ContainsKey("listen-client-urls") || env.Values.ContainsKey("listen-client-urls")) && !SetByUser("advertise-client-urls"))
            throw new FlagException("--advertise-client-urls is required when --listen-client-urls is set explicitly");
        if (((string[])values["listen-client-urls"]).Length == 0) throw new FlagException("--listen-client-urls must not be empty");
        var clientTls = ClientTlsOptions.From(values, (string[])values["listen-client-urls"]);
        var peerTls = PeerTlsOptions.From(values);

        var logLevel = (bool)values["debug"] ? "debug" : (string)values["log-level"];
        EtcdServerSettings settings;
        try
        {
            settings = EtcdServerSettings.Create(config) with { LogLevel = logLevel };
            // A HOCON config file may also tune Akka (dispatchers, remoting, the journal plugin): its akka
            // section is laid over the member's own Akka configuration.
            // (The whole file goes in; Akka ignores its etcd.* keys.)
            if (file.HasPath("akka") && configPath is not null) settings = settings with { ExtraHocon = readFile(configPath) };
        }
        catch (Exception e) when (e is ArgumentException or ConfigurationException or FormatException or OverflowException)
        {
            throw new FlagException(e.Message.ReplaceLineEndings(" "));
        }

        var options = new NodeOptions
        {
            ListenClientUrls = (string[])values["listen-client-urls"],
            ClientTls = clientTls,
            PeerTls = peerTls,
            MaxConcurrentStreams = (long)values["max-concurrent-streams"],
            KeepAliveInterval = (TimeSpan)values["grpc-keepalive-interval"],
            KeepAliveTimeout = (TimeSpan)values["grpc-keepalive-timeout"],
            LogLevel = logLevel,
            LogToStdout = ((string[])values["log-outputs"]) is ["stdout"],
            DataDirGiven = ((string)values["data-dir"]).Length > 0,
        };
        var warnings = env.Warnings.Concat(FeatureGate.NoEffectWarnings(values)).ToArray();
        return new RunNode(settings, options, config, warnings);
    }

    /// <summary>Every flag at etcd's default, below reference.conf, so the merged Config answers for every flag.</summary>
    public static Config FlagDefaults { get; } = HoconValues.ToConfig(FlagCatalog.All.ToDictionary(s => s.Name, s => s.DefaultValue));

    private static Config Merge(params Config[] layers) =>
        layers.Where(c => !c.IsEmpty).Aggregate((high, low) => high.WithFallback(low));

    /// <summary>
    /// Reads one flag back from the merged Config and re-checks it, because a HOCON config file is not
    /// parsed by the flag parser (a string for a number, a bad URL, a value outside new|existing).
    /// </summary>
    private static object ReadChecked(Config config, FlagSpec spec)
    {
        try
        {
            var value = HoconValues.Read(config, spec);
            if (spec.Kind == FlagKind.Urls) return FlagValues.ParseUrls(string.Join(',', (string[])value), allowEmpty: spec.Default.Length == 0);
            if (spec.Kind is FlagKind.UInt or FlagKind.Int)
                FlagValues.Parse(spec, ((long)value).ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (spec.Kind == FlagKind.String) FlagValues.Parse(spec, (string)value);
            return value;
        }
        catch (Exception e) when (e is FormatException or ConfigurationException or InvalidCastException or OverflowException)
        {
            throw new FlagException($"invalid value for {spec.HoconPath}: {e.Message.ReplaceLineEndings(" ")}");
        }
    }
}
