package org.fedpeft.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The number format of the frozen encoder's weights and matrix products ({@code model.precision},
 * {@code --precision}).
 *
 * <ul>
 *   <li>{@link #FP32}: every weight and product in float32 (the default; results reproduce across
 *       machines to float rounding and match ONNX Runtime to 1e-4);
 *   <li>{@link #BF16}: the frozen linear weights, their biases and the word-embedding table are
 *       held in bfloat16 inside libtorch (half the memory of float32); each frozen product casts
 *       its float32 input to bfloat16, multiplies with float32 accumulation (oneDNN) and casts the
 *       bfloat16 result back to float32. Everything else (LayerNorm, attention, GELU, residuals,
 *       adapters, heads, gradients, optimiser state) stays float32.
 * </ul>
 *
 * The setting {@code auto} picks {@link #BF16} on CPUs that report bfloat16 arithmetic ({@code
 * avx512_bf16} or {@code amx_bf16} among the flags of /proc/cpuinfo) and {@link #FP32} elsewhere,
 * including when /proc/cpuinfo cannot be read. The system property {@value #CPU_INFO_PROPERTY}
 * names a file to read in its place (a test uses it to make {@code auto} pick {@link #FP32} on a
 * CPU with bfloat16 arithmetic).
 */
public enum Precision {
  FP32("fp32", "an"),
  BF16("bf16", "a");

  /** The values {@code model.precision} and {@code --precision} accept. */
  public static final List<String> SETTINGS = List.of("fp32", "bf16", "auto");

  /** The default setting. */
  public static final String DEFAULT_SETTING = "fp32";

  /** The setting's allowed values in words, for errors and docs. */
  public static final String ALLOWED = "fp32, bf16 or auto";

  /** The system property naming a file that {@code auto} reads instead of /proc/cpuinfo. */
  public static final String CPU_INFO_PROPERTY = "fedpeft.cpuinfo";

  /** CPU flags (as /proc/cpuinfo spells them) that make {@code auto} pick {@link #BF16}. */
  public static final List<String> BF16_FLAGS = List.of("avx512_bf16", "amx_bf16");

  private final String label;
  private final String article;

  Precision(String label, String article) {
    this.label = label;
    this.article = article;
  }

  /** {@code fp32} or {@code bf16}. */
  public String label() {
    return label;
  }

  /** The precision whose {@link #label} is {@code label}, if there is one. */
  public static Optional<Precision> ofLabel(String label) {
    for (Precision p : values()) {
      if (p.label.equals(label)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /** The label with its indefinite article, as read aloud: "an fp32", "a bf16". */
  public String withArticle() {
    return article + " " + label;
  }

  /**
   * A setting and what it resolved to.
   *
   * @param setting {@code fp32}, {@code bf16} or {@code auto}
   * @param precision what the encoder computes in
   * @param reason why {@code auto} picked {@code precision} (empty for an explicit setting)
   */
  public record Choice(String setting, Precision precision, String reason) {

    /** The default: float32, set explicitly. */
    public static final Choice FP32 = new Choice("fp32", Precision.FP32, "");

    /** Checks the setting and that an explicit setting agrees with its precision. */
    public Choice {
      Objects.requireNonNull(precision, "precision");
      Objects.requireNonNull(reason, "reason");
      requireSetting(setting, "precision");
      if (!setting.equals("auto") && !setting.equals(precision.label())) {
        throw new IllegalArgumentException(
            "precision setting " + setting + " cannot resolve to " + precision.label());
      }
    }

    /**
     * One line for logs and run records, e.g. {@code bf16} or {@code bf16 (auto: this CPU reports
     * avx512_bf16)}.
     */
    public String describe() {
      return setting.equals("auto")
          ? precision.label() + " (auto: " + reason + ")"
          : precision.label();
    }
  }

  /** Whether {@code value} is one of {@link #SETTINGS}. */
  public static boolean isSetting(Object value) {
    return value instanceof String s && SETTINGS.contains(s);
  }

  /**
   * Checks a setting.
   *
   * @param what names the setting in the error, e.g. {@code model.precision} or {@code --precision}
   * @throws IllegalArgumentException naming {@code what}, the value and the allowed values
   */
  public static String requireSetting(String value, String what) {
    if (!isSetting(value)) {
      throw new IllegalArgumentException(what + " = " + value + " is invalid: " + ALLOWED);
    }
    return value;
  }

  /**
   * Resolves a setting on this machine: {@code auto} reads /proc/cpuinfo.
   *
   * @throws IllegalArgumentException if {@code setting} is not one of {@link #SETTINGS}
   */
  public static Choice choose(String setting) {
    requireSetting(setting, "precision");
    return choose(setting, setting.equals("auto") ? readCpuInfo() : null);
  }

  /**
   * Resolves a setting given the text of /proc/cpuinfo ({@code null}: it could not be read).
   *
   * @throws IllegalArgumentException if {@code setting} is not one of {@link #SETTINGS}
   */
  public static Choice choose(String setting, String cpuInfo) {
    requireSetting(setting, "precision");
    return switch (setting) {
      case "fp32" -> Choice.FP32;
      case "bf16" -> new Choice("bf16", BF16, "");
      default -> auto(cpuInfo);
    };
  }

  /**
   * What {@code auto} picks for a CPU whose /proc/cpuinfo text is {@code cpuInfo}: {@link #BF16} if
   * a {@code flags} line lists one of {@link #BF16_FLAGS} as a whole word, else {@link #FP32};
   * {@code null} (unreadable) gives {@link #FP32}.
   */
  public static Choice auto(String cpuInfo) {
    if (cpuInfo == null) {
      return new Choice("auto", FP32, "/proc/cpuinfo could not be read");
    }
    boolean sawFlags = false;
    for (String line : cpuInfo.split("\n")) {
      int colon = line.indexOf(':');
      if (colon < 0 || !line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("flags")) {
        continue;
      }
      sawFlags = true;
      List<String> flags = List.of(line.substring(colon + 1).trim().split("\\s+"));
      for (String f : BF16_FLAGS) {
        if (flags.contains(f)) {
          return new Choice("auto", BF16, "this CPU reports " + f);
        }
      }
    }
    return new Choice(
        "auto",
        FP32,
        sawFlags
            ? "this CPU reports neither " + String.join(" nor ", BF16_FLAGS)
            : "/proc/cpuinfo lists no CPU flags");
  }

  /**
   * The text of /proc/cpuinfo (or of the file {@value #CPU_INFO_PROPERTY} names), or null if it
   * cannot be read (not Linux, no permission).
   */
  static String readCpuInfo() {
    try {
      return Files.readString(Path.of(System.getProperty(CPU_INFO_PROPERTY, "/proc/cpuinfo")));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
