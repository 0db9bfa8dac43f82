package org.fedpeft.io;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/**
 * The JSON that fedpeft writes into run folders and onto standard output (metrics lines, timings,
 * summaries, manifests): compact, without HTML escaping, and always strict JSON.
 *
 * <p>A number that is not finite (a mean over no clients, a loss of a round where no client
 * trained) has no JSON form. It is written as null: an object member whose value is null is left
 * out by {@link #line} and kept as {@code null} by {@link #document}; in an array it is {@code
 * null} either way. Readers therefore treat a missing member as "not measured".
 */
public final class JsonOut {

  private static final Gson LINE =
      new GsonBuilder().serializeSpecialFloatingPointValues().disableHtmlEscaping().create();
  private static final Gson DOCUMENT =
      new GsonBuilder()
          .serializeSpecialFloatingPointValues()
          .disableHtmlEscaping()
          .serializeNulls()
          .create();

  private JsonOut() {}

  /**
   * A float32 value as the double that prints as its shortest decimal: 0.05f gives 0.05, not
   * 0.05000000074505806 (its exact value, which widening to double keeps and JSON then shows).
   * Every writer of a float32 value into a double-typed JSON field goes through this; a non-finite
   * value is returned as it is.
   */
  public static double decimal(float value) {
    return Float.isFinite(value) ? Double.parseDouble(Float.toString(value)) : value;
  }

  /** {@code src} as one line of JSON; null and non-finite members are left out. */
  public static String line(Object src) {
    return write(LINE, src);
  }

  /** {@code src} as one line of JSON; null and non-finite members are written as null. */
  public static String document(Object src) {
    return write(DOCUMENT, src);
  }

  /** {@code src} as a JSON tree (numbers kept as they are; they are made finite when written). */
  public static JsonElement tree(Object src) {
    return LINE.toJsonTree(src);
  }

  private static String write(Gson gson, Object src) {
    StringWriter text = new StringWriter();
    try (JsonWriter w = new FiniteWriter(text)) {
      if (src instanceof JsonElement e) {
        gson.toJson(e, w);
      } else {
        gson.toJson(src, src == null ? Object.class : src.getClass(), w);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not throw
    }
    return text.toString();
  }

  /** Writes a NaN or an infinity as null. */
  private static final class FiniteWriter extends JsonWriter {
    FiniteWriter(StringWriter out) {
      super(out);
    }

    @Override
    public JsonWriter value(double value) throws IOException {
      return Double.isFinite(value) ? super.value(value) : nullValue();
    }

    @Override
    public JsonWriter value(float value) throws IOException {
      return Float.isFinite(value) ? super.value(value) : nullValue();
    }

    @Override
    public JsonWriter value(Number value) throws IOException {
      if ((value instanceof Double d && !Double.isFinite(d))
          || (value instanceof Float f && !Float.isFinite(f))) {
        return nullValue();
      }
      return super.value(value);
    }
  }
}
