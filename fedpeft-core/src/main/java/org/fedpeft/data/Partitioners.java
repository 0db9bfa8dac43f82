package org.fedpeft.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.fedpeft.io.Words;

/**
 * Builds {@link Partitioner}s from spec strings.
 *
 * <ul>
 *   <li>{@code iid}
 *   <li>{@code dirichlet:ALPHA}, {@code dirichlet:alpha=ALPHA,min=N}
 *   <li>{@code natural} (= {@code natural:client}), {@code natural:task}
 *   <li>{@code shards:K}, {@code shards:k=K}
 *   <li>{@code labels} (every example of a label on one client; on a retrieval task, a partition
 *       over documents)
 * </ul>
 *
 * The kind and keys are case-insensitive; spaces around parts are ignored.
 */
public final class Partitioners {
  /** The accepted spec forms, as shown in error messages. */
  public static final String USAGE =
      "iid, dirichlet:ALPHA[,min=N], dirichlet:alpha=ALPHA[,min=N], natural[:client|:task],"
          + " shards:K, labels";

  private Partitioners() {}

  /**
   * Parses a partitioner spec.
   *
   * @throws IllegalArgumentException naming the spec and the accepted forms
   */
  public static Partitioner parse(String spec) {
    String s = spec.trim();
    int colon = s.indexOf(':');
    String kind = (colon < 0 ? s : s.substring(0, colon)).trim().toLowerCase(Locale.ROOT);
    List<String[]> args = colon < 0 ? List.of() : arguments(s.substring(colon + 1), spec);
    try {
      switch (kind) {
        case "iid":
          expectArgs(args, 0, spec);
          return new IidPartitioner();
        case "dirichlet":
          {
            Double alpha = null;
            Integer min = null;
            for (int i = 0; i < args.size(); i++) {
              String key = args.get(i)[0];
              String value = args.get(i)[1];
              if ((key == null && i == 0) || "alpha".equals(key)) {
                if (alpha != null) {
                  throw bad(spec, "alpha given twice");
                }
                alpha = Double.parseDouble(value);
              } else if ("min".equals(key)) {
                if (min != null) {
                  throw bad(spec, "min given twice");
                }
                min = Integer.parseInt(value);
              } else {
                throw bad(
                    spec,
                    "unknown dirichlet argument \""
                        + String.join("=", nonNull(args.get(i)))
                        + "\" (use alpha, min)");
              }
            }
            if (alpha == null) {
              throw bad(spec, "dirichlet needs alpha, e.g. dirichlet:0.3");
            }
            return new DirichletPartitioner(
                alpha, min == null ? DirichletPartitioner.AUTO_MIN : min);
          }
        case "natural":
          {
            expectArgs(args, 1, spec);
            if (args.isEmpty()) {
              return new NaturalPartitioner(NaturalPartitioner.Key.CLIENT);
            }
            String[] a = args.get(0);
            if (a[0] != null && !a[0].equals("by")) {
              throw bad(spec, "natural takes client or task");
            }
            return switch (a[1].toLowerCase(Locale.ROOT)) {
              case "client" -> new NaturalPartitioner(NaturalPartitioner.Key.CLIENT);
              case "task" -> new NaturalPartitioner(NaturalPartitioner.Key.TASK);
              default -> throw bad(spec, "natural takes client or task, got \"" + a[1] + "\"");
            };
          }
        case "labels":
          expectArgs(args, 0, spec);
          return new LabelPartitioner();
        case "shards":
          {
            expectArgs(args, 1, spec);
            if (args.isEmpty()) {
              throw bad(spec, "shards needs the shards per client, e.g. shards:2");
            }
            String[] a = args.get(0);
            if (a[0] != null && !a[0].equals("k")) {
              throw bad(spec, "shards takes k, e.g. shards:2 or shards:k=2");
            }
            return new ShardPartitioner(Integer.parseInt(a[1]));
          }
        default:
          throw new IllegalArgumentException(
              "unknown partitioner \"" + kind + "\" in \"" + spec + "\"; known: " + USAGE);
      }
    } catch (NumberFormatException e) {
      throw bad(spec, "not a number: " + e.getMessage());
    }
  }

  /** Each argument as {key or null, value}; keys lower-cased. */
  private static List<String[]> arguments(String text, String spec) {
    List<String[]> args = new ArrayList<>();
    if (text.isBlank()) {
      return args;
    }
    for (String part : text.split(",", -1)) {
      String p = part.trim();
      if (p.isEmpty()) {
        throw bad(spec, "empty argument");
      }
      int eq = p.indexOf('=');
      if (eq < 0) {
        args.add(new String[] {null, p});
      } else {
        String key = p.substring(0, eq).trim().toLowerCase(Locale.ROOT);
        String value = p.substring(eq + 1).trim();
        if (key.isEmpty() || value.isEmpty()) {
          throw bad(spec, "expected key=value, got \"" + p + "\"");
        }
        args.add(new String[] {key, value});
      }
    }
    return args;
  }

  private static String[] nonNull(String[] arg) {
    return arg[0] == null ? new String[] {arg[1]} : arg;
  }

  private static void expectArgs(List<String[]> args, int max, String spec) {
    if (args.size() > max) {
      throw bad(spec, "too many arguments");
    }
  }

  private static IllegalArgumentException bad(String spec, String why) {
    return new IllegalArgumentException(
        "bad partitioner spec \"" + spec + "\": " + why + "; known: " + USAGE);
  }

  /**
   * Throws unless {@code n} examples can give each of {@code numClients} clients at least {@code
   * perClient}.
   */
  static void requireClients(int numClients, int n, int perClient, String what) {
    if (numClients < 1) {
      throw new IllegalArgumentException(what + ": numClients must be >= 1, got " + numClients);
    }
    if ((long) numClients * perClient > n) {
      throw new IllegalArgumentException(
          what
              + ": "
              + n
              + " "
              + Words.plural(n, "example")
              + " cannot give "
              + numClients
              + " "
              + Words.plural(numClients, "client")
              + " "
              + perClient
              + " "
              + Words.plural(perClient, "example")
              + " each");
    }
  }
}
