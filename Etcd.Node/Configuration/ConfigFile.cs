using Akka.Configuration;

namespace Etcd.Node.Configuration;

/// <summary>
/// --config-file: a path ending in ".conf" is HOCON (keys under etcd.*, as in reference.conf); anything
/// else is etcd's YAML config file. Note one deliberate difference from etcd 3.4, which ignores every flag
/// and environment variable once a config file is given: here flags and ETCD_* variables override the file.
/// </summary>
public static class ConfigFile
{
    public static Config Load(string path, Func<string, string> readFile)
    {
        string text;
        try
        {
            text = readFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FlagException($"cannot read config file {path}: {e.Message}");
        }
        if (!path.EndsWith(".conf", StringComparison.OrdinalIgnoreCase))
            return HoconValues.ToConfig(YamlConfigFile.Parse(path, text));
        try
        {
            return ConfigurationFactory.ParseString(text);
        }
        catch (Exception e)
        {
            throw new FlagException($"config file {path}: {e.Message.ReplaceLineEndings(" ")}");
        }
    }
}
