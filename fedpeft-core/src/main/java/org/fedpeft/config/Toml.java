package org.fedpeft.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A reader of the subset of TOML that fedpeft's config files use: {@code [table]} and {@code [a.b]}
 * headers, {@code key = value} lines with bare or dotted keys, basic ("...") and literal ('...')
 * strings, integers, floats, booleans, and arrays of those (which may span lines); {@code #}
 * comments. Values come back as a flat map from dotted key to String, Long, Double, Boolean or
 * List. Errors name the source and the line.
 */
public final class Toml {

  private Toml() {}

  /** Reads a file. */
  public static Map<String, Object> read(Path file) throws IOException {
    return parse(Files.readString(file), file.toString());
  }

  /** Parses text; {@code source} names it in errors. */
  public static Map<String, Object> parse(String text, String source) {
    Map<String, Object> out = new LinkedHashMap<>();
    String table = "";
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      int lineNo = i + 1;
      String line = stripComment(lines[i]).strip();
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("[")) {
        if (!line.endsWith("]") || line.startsWith("[[")) {
          throw error(source, lineNo, "malformed table header " + line);
        }
        table = key(line.substring(1, line.length() - 1).strip(), source, lineNo);
        continue;
      }
      int eq = line.indexOf('=');
      if (eq <= 0) {
        throw error(source, lineNo, "expected key = value, got " + line);
      }
      String key = key(line.substring(0, eq).strip(), source, lineNo);
      String value = line.substring(eq + 1).strip();
      // Arrays may continue on the following lines until the brackets balance.
      while (value.startsWith("[") && !balanced(value) && i + 1 < lines.length) {
        i++;
        value = value + " " + stripComment(lines[i]).strip();
      }
      String full = table.isEmpty() ? key : table + "." + key;
      if (out.containsKey(full)) {
        throw error(source, lineNo, "key " + full + " is defined twice");
      }
      Cursor c = new Cursor(value, source, lineNo);
      Object v = c.value();
      c.skipSpaces();
      if (!c.done()) {
        throw error(source, lineNo, "unexpected text after the value of " + full + ": " + c.rest());
      }
      out.put(full, v);
    }
    return out;
  }

  private static String key(String k, String source, int line) {
    if (!k.matches("[A-Za-z0-9_-]+(\\s*\\.\\s*[A-Za-z0-9_-]+)*")) {
      throw error(source, line, "invalid key \"" + k + "\"");
    }
    return k.replaceAll("\\s+", "");
  }

  private static boolean balanced(String v) {
    int[] depth = {0};
    outsideStrings(
        v,
        (i, ch) -> {
          if (ch == '[') {
            depth[0]++;
          } else if (ch == ']') {
            depth[0]--;
          }
          return true;
        });
    return depth[0] == 0;
  }

  private static String stripComment(String line) {
    int[] hash = {-1};
    outsideStrings(
        line,
        (i, ch) -> {
          if (ch == '#') {
            hash[0] = i;
            return false;
          }
          return true;
        });
    return hash[0] < 0 ? line : line.substring(0, hash[0]);
  }

  /** Receives the characters of a line that are not inside a string; false stops the scan. */
  private interface CharVisitor {
    boolean visit(int index, char ch);
  }

  private static void outsideStrings(String s, CharVisitor visitor) {
    boolean inString = false;
    char quote = 0;
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (inString) {
        if (ch == '\\' && quote == '"') {
          i++;
        } else if (ch == quote) {
          inString = false;
        }
      } else if (ch == '"' || ch == '\'') {
        inString = true;
        quote = ch;
      } else if (!visitor.visit(i, ch)) {
        return;
      }
    }
  }

  static ConfigException error(String source, int line, String message) {
    return new ConfigException(source + ":" + line + ": " + message);
  }

  /** Parses one value from a string. */
  private static final class Cursor {
    private final String s;
    private final String source;
    private final int line;
    private int pos;

    Cursor(String s, String source, int line) {
      this.s = s;
      this.source = source;
      this.line = line;
    }

    boolean done() {
      return pos >= s.length();
    }

    String rest() {
      return s.substring(pos);
    }

    void skipSpaces() {
      while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
        pos++;
      }
    }

    Object value() {
      skipSpaces();
      if (done()) {
        throw error(source, line, "missing value");
      }
      char ch = s.charAt(pos);
      if (ch == '"') {
        return basicString();
      }
      if (ch == '\'') {
        int end = s.indexOf('\'', pos + 1);
        if (end < 0) {
          throw error(source, line, "unterminated string");
        }
        String v = s.substring(pos + 1, end);
        pos = end + 1;
        return v;
      }
      if (ch == '[') {
        pos++;
        List<Object> list = new ArrayList<>();
        while (true) {
          skipSpaces();
          if (done()) {
            throw error(source, line, "unterminated array");
          }
          if (s.charAt(pos) == ']') {
            pos++;
            return List.copyOf(list);
          }
          list.add(value());
          skipSpaces();
          if (!done() && s.charAt(pos) == ',') {
            pos++;
          } else if (done() || s.charAt(pos) != ']') {
            throw error(source, line, "expected ',' or ']' in array");
          }
        }
      }
      int start = pos;
      while (pos < s.length() && ",] \t".indexOf(s.charAt(pos)) < 0) {
        pos++;
      }
      String tok = s.substring(start, pos);
      if (tok.equals("true") || tok.equals("false")) {
        return Boolean.parseBoolean(tok);
      }
      String num = tok.replace("_", "");
      try {
        if (num.matches("[+-]?\\d+")) {
          return Long.parseLong(num);
        }
        if (num.matches("[+-]?(\\d+\\.?\\d*([eE][+-]?\\d+)?|\\.\\d+([eE][+-]?\\d+)?)")) {
          return Double.parseDouble(num);
        }
      } catch (NumberFormatException e) {
        throw error(source, line, "number out of range: " + tok);
      }
      throw error(source, line, "invalid value " + tok + " (strings need quotes: \"" + tok + "\")");
    }

    private String basicString() {
      StringBuilder b = new StringBuilder();
      pos++;
      while (pos < s.length()) {
        char ch = s.charAt(pos++);
        if (ch == '"') {
          return b.toString();
        }
        if (ch == '\\') {
          if (pos >= s.length()) {
            break;
          }
          char e = s.charAt(pos++);
          switch (e) {
            case 'n' -> b.append('\n');
            case 't' -> b.append('\t');
            case '"' -> b.append('"');
            case '\\' -> b.append('\\');
            case 'u' -> {
              if (pos + 4 > s.length()) {
                throw error(source, line, "bad \\u escape");
              }
              b.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
              pos += 4;
            }
            default -> throw error(source, line, "unknown escape \\" + e);
          }
        } else {
          b.append(ch);
        }
      }
      throw error(source, line, "unterminated string");
    }
  }
}
