package org.fedpeft.config;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.io.Utf8Input;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseError;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;

/**
 * Reads TOML config files with tomlj (its latest TOML version) and flattens them: a key {@code x}
 * in table {@code [t]} (or in an inline table {@code t = {x = 1}}, or written {@code t.x}) becomes
 * {@code t.x}. Values are String, Long, Double, Boolean or List of those; dates, times and arrays
 * of tables are rejected, since no config key takes them. A leading UTF-8 byte order mark is
 * ignored. Errors name the source and the line (and, for a syntax error, the column; only the first
 * syntax error is shown, with the count of the others).
 */
public final class Toml {

  private static final char BOM = '\uFEFF';

  private Toml() {}

  /**
   * Reads a file, strictly UTF-8 ({@link Utf8Input}, as data files are read); errors name its path
   * (and line): a byte that is not UTF-8 is a {@link ConfigException} reading {@code file:line:
   * reason}.
   *
   * @throws IOException if the file cannot be read (a folder is refused by its path)
   */
  public static ConfigSource read(Path file) throws IOException {
    if (Files.isDirectory(file)) {
      throw new FileSystemException(file.toString(), null, "is a folder, not a data file");
    }
    String text;
    try (Utf8Input in =
        new Utf8Input(
            Files.newInputStream(file),
            file,
            (source, line, reason) -> new ConfigException(source + ":" + line + ": " + reason))) {
      text = in.rest();
    }
    return parse(text, file.toString());
  }

  /** Parses text; {@code source} names it in errors. */
  public static ConfigSource parse(String text, String source) {
    if (!text.isEmpty() && text.charAt(0) == BOM) {
      text = text.substring(1);
    }
    TomlParseResult result = org.tomlj.Toml.parse(text);
    if (result.hasErrors()) {
      throw syntaxError(source, result.errors());
    }
    Map<String, Object> values = new LinkedHashMap<>();
    Map<String, Integer> lines = new LinkedHashMap<>();
    flatten(result, "", source, values, lines);
    return new ConfigSource(source, values, lines, true);
  }

  /** The first error, on one line, with how many more there are. */
  private static ConfigException syntaxError(String source, List<TomlParseError> errors) {
    TomlParseError e = errors.get(0);
    TomlPosition p = e.position();
    StringBuilder b = new StringBuilder();
    b.append(source).append(':').append(p.line()).append(':').append(p.column()).append(": ");
    b.append(e.getMessage());
    if (e.getMessage().contains("expected a value")) {
      b.append(" (strings need quotes, e.g. \"fedit\")");
    }
    if (errors.size() > 1) {
      b.append(" (and ").append(errors.size() - 1).append(" more errors)");
    }
    return new ConfigException(b.toString());
  }

  private static void flatten(
      TomlTable table,
      String prefix,
      String source,
      Map<String, Object> values,
      Map<String, Integer> lines) {
    for (String key : table.keySet()) {
      String full = prefix + key;
      Object v = table.get(List.of(key));
      int line = table.inputPositionOf(List.of(key)).line();
      if (v instanceof TomlTable t) {
        flatten(t, full + ".", source, values, lines);
        continue;
      }
      values.put(full, plain(v, full, source, line));
      lines.put(full, line);
    }
  }

  private static Object plain(Object v, String key, String source, int line) {
    if (v instanceof String || v instanceof Long || v instanceof Double || v instanceof Boolean) {
      return v;
    }
    if (v instanceof TomlArray a) {
      List<Object> list = new ArrayList<>();
      for (int i = 0; i < a.size(); i++) {
        Object item = a.get(i);
        if (item instanceof TomlTable) {
          throw new ConfigException(
              source + ":" + line + ": " + key + " holds tables; no config key takes them");
        }
        list.add(plain(item, key, source, line));
      }
      return List.copyOf(list);
    }
    throw new ConfigException(
        source
            + ":"
            + line
            + ": "
            + key
            + " is a "
            + v.getClass().getSimpleName()
            + "; config values are strings, numbers, booleans or arrays of them");
  }
}
