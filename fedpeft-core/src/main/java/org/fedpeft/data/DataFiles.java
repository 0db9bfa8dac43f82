package org.fedpeft.data;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fedpeft.io.Utf8Input;

/**
 * Reads the user's own labelled data: JSON Lines or CSV, chosen by the file extension; and, in the
 * same formats with the same errors, files of unlabelled texts to classify ({@link #forEachText}).
 *
 * <p><b>JSON Lines</b> ({@code .jsonl}, or {@code .json} holding one object per line, as written by
 * e.g. Hugging Face {@code datasets.to_json}): one strict JSON object per line with {@code text} (a
 * string), {@code label} (a string or a number, kept as written), and optionally {@code client} and
 * {@code task} (string, number or null). Other fields are ignored, except one that differs from
 * these names only in case ({@code "Text"}), which is an error; blank lines are skipped. A JSON
 * array file is not supported.
 *
 * <p><b>CSV</b> ({@code .csv}, RFC 4180): a header row naming the columns, {@code text} and {@code
 * label} required, {@code client} and {@code task} optional, matched case-insensitively; other
 * columns (an id, a pandas index) are ignored. Fields may be quoted, with commas, doubled quotes
 * ({@code ""}) and line breaks inside the quotes; every row must have as many fields as the header.
 * Blank lines are skipped.
 *
 * <p>Both: UTF-8 (a leading byte-order mark is ignored); labels, clients and tasks are trimmed,
 * text is kept as is; an empty text or label is an error, an empty client or task means none (a
 * task given on some examples and not on others is an error, naming the first line without). Every
 * problem is a {@link DataFormatException} naming the file and the line ({@code
 * data/train.jsonl:17: missing field "label"}); for a CSV record that spans lines, the line where
 * it starts.
 */
public final class DataFiles {
  private static final Pattern GSON_COLUMN = Pattern.compile("column (\\d+)");
  private static final TypeAdapter<JsonElement> ELEMENT = new Gson().getAdapter(JsonElement.class);

  private DataFiles() {}

  /**
   * Reads a data file into a {@link Dataset} named after the file, whose vocabulary is the labels
   * found (sorted, see {@link Dataset#labelOrder}) and which remembers each example's line.
   *
   * @throws DataFormatException for malformed content, an unknown extension or an empty file
   * @throws IOException if the file cannot be read
   */
  public static Dataset read(Path file) throws IOException {
    requireFile(file);
    String name = String.valueOf(file.getFileName()).toLowerCase(Locale.ROOT);
    boolean csv = name.endsWith(".csv");
    boolean jsonl = name.endsWith(".jsonl") || name.endsWith(".json");
    if (!csv && !jsonl) {
      throw new DataFormatException(
          file, 1, "unknown file type: expected a .jsonl, .json or .csv extension");
    }
    List<Example> examples = new ArrayList<>();
    List<Integer> lines = new ArrayList<>();
    try (Utf8Input in = open(file)) {
      if (csv) {
        readCsv(file, in, examples, lines);
      } else {
        readJsonLines(file, in, examples, lines, name.endsWith(".json"));
      }
    }
    int[] lineArray = new int[lines.size()];
    for (int i = 0; i < lineArray.length; i++) {
      lineArray[i] = lines.get(i);
    }
    requireTaskOnAllOrNone(file, examples, lineArray);
    return Dataset.fromFile(file, examples, lineArray);
  }

  /**
   * Reads a test (or validation) file for a model trained on {@code train}: the result uses the
   * training label vocabulary, so class indices agree.
   *
   * @throws DataFormatException naming the first line with a label the training data does not have
   *     (and how many more there are); use {@link LabelCheck} to list them all instead
   */
  public static Dataset readFor(Path file, Dataset train) throws IOException {
    return readFor(file, train, null);
  }

  /**
   * As {@link #readFor(Path, Dataset)}, the refusal ending with {@code hint} when not null ({@link
   * LabelCheck#requireKnown(String)}).
   */
  public static Dataset readFor(Path file, Dataset train, String hint) throws IOException {
    Dataset data = read(file);
    LabelCheck.of(train.labels(), data).requireKnown(hint);
    return data.withLabels(train.labels());
  }

  /** The fields an example of a data file may have (others are ignored). */
  private static final List<String> EXAMPLE_FIELDS = List.of("text", "label", "client", "task");

  /** The fields a row of a file of texts to classify may have (others are ignored). */
  private static final List<String> TEXT_FIELDS = List.of("text", "id", "task");

  /**
   * A text to classify, read from a file of texts ({@link #forEachText}).
   *
   * @param line the line of the file it is on (for a CSV record that spans lines, where it starts)
   * @param text the text, as written (never blank)
   * @param id the row's {@code id} as written: a String, or a Number for a JSON number; null if the
   *     row has none
   * @param task the row's {@code task}, trimmed; null if it has none (or an empty one)
   */
  public record TextRow(int line, String text, Object id, String task) {}

  /**
   * Reads a file of texts to classify, as data files are read ({@link #read}: JSON Lines or CSV by
   * the extension, strict UTF-8, blank lines skipped, every problem naming the file and line) but
   * with no label: each row has a {@code text} (a string, not blank) and optionally an {@code id}
   * (a string or a number, kept as written) and a {@code task}; other fields and columns (a {@code
   * label}, say) are ignored. The file is read as it goes, never held whole: {@code handler} takes
   * each row in file order as soon as it is read, so the rows before a bad one have been handled
   * when its error is thrown.
   *
   * @throws DataFormatException for malformed content, a missing or blank text, an unknown
   *     extension, or a file without rows
   * @throws IOException if the file cannot be read
   */
  public static void forEachText(Path file, Consumer<TextRow> handler) throws IOException {
    requireFile(file);
    String name = String.valueOf(file.getFileName()).toLowerCase(Locale.ROOT);
    boolean csv = name.endsWith(".csv");
    boolean dotJson = name.endsWith(".json");
    if (!csv && !dotJson && !name.endsWith(".jsonl")) {
      throw new DataFormatException(
          file, 1, "unknown file type: expected a .jsonl, .json or .csv extension");
    }
    try (Utf8Input in = open(file)) {
      if (csv) {
        CsvReader records = new CsvReader(file, in);
        CsvRecord header = records.header();
        Map<String, Integer> col = columns(file, header, TEXT_FIELDS);
        if (!col.containsKey("text")) {
          throw new DataFormatException(
              file,
              header.line(),
              "the header must name a column \"text\" (optional: \"id\", \"task\"), found "
                  + header.fields()
                  + separatorHint(header.fields()));
        }
        int rows = 0;
        for (CsvRecord rec = records.next(); rec != null; rec = records.next()) {
          List<String> f = fieldsOf(file, header, rec);
          String id = col.containsKey("id") ? f.get(col.get("id")) : null;
          handler.accept(
              textRow(
                  file,
                  rec.line(),
                  f.get(col.get("text")),
                  id == null || id.isBlank() ? null : id,
                  col.containsKey("task") ? f.get(col.get("task")) : null));
          rows++;
        }
        if (rows == 0) {
          throw new DataFormatException(file, header.line(), "no texts after the header");
        }
        return;
      }
      int[] rows = {0};
      forEachObject(
          file,
          in,
          dotJson,
          (lineNo, o) -> {
            requireLowerCaseFields(file, lineNo, o, TEXT_FIELDS);
            JsonElement id = o.get("id");
            Object idValue =
                id != null && id.isJsonPrimitive() && id.getAsJsonPrimitive().isNumber()
                    ? id.getAsNumber()
                    : jsonValue(file, lineNo, o, "id", false);
            handler.accept(
                textRow(
                    file,
                    lineNo,
                    jsonValue(file, lineNo, o, "text", false),
                    idValue,
                    jsonValue(file, lineNo, o, "task", true)));
            rows[0]++;
          });
      if (rows[0] == 0) {
        throw nothingIn(file, !in.hadText(), "texts");
      }
    }
  }

  private static TextRow textRow(Path file, int line, String text, Object id, String task) {
    if (text == null) {
      throw new DataFormatException(file, line, "missing field \"text\"");
    }
    if (text.isBlank()) {
      throw new DataFormatException(file, line, "empty field \"text\"");
    }
    return new TextRow(line, text, id, blankToNull(task));
  }

  // ---------------------------------------------------------------- decoding

  /** The file's characters, read as strict UTF-8 as they are needed. */
  private static Utf8Input open(Path file) throws IOException {
    return new Utf8Input(Files.newInputStream(file), file, DataFormatException::new);
  }

  // ---------------------------------------------------------------- JSON Lines

  /** What to do with one object of a JSON Lines file, given its line number. */
  @FunctionalInterface
  public interface ObjectLine {
    /** Takes the object on line {@code line} (1-based). */
    void accept(int line, JsonObject object);
  }

  /**
   * Reads a JSON Lines file the way data files are read, for other record types (a retrieval
   * corpus, queries): strict UTF-8 (a leading byte-order mark is ignored), one strict JSON object
   * per non-blank line (no comments, single quotes, unquoted names, NaN or duplicate fields), CR LF
   * or LF line ends. Fields are read with {@link #jsonValue}.
   *
   * @param what what the objects are ("documents"), for the error of a file without any
   * @throws DataFormatException naming the file and line (and column, where known) of the first
   *     problem, or a file without an object (on line 1: "empty file" with no byte or only a
   *     byte-order mark, else "no WHAT: the file has only blank lines")
   * @throws IOException if the file cannot be read (a {@link FileSystemException} naming a folder
   *     given for a file)
   */
  public static void forEachJsonObject(Path file, String what, ObjectLine handler)
      throws IOException {
    requireFile(file);
    try (Utf8Input in = open(file)) {
      if (forEachObject(file, in, false, handler) == 0) {
        throw nothingIn(file, !in.hadText(), what);
      }
    }
  }

  /**
   * The error for a file that holds no {@code what} (examples, texts, or a corpus's documents or
   * queries): on line 1, "empty file" if it is {@code empty} (no byte, or only a byte-order mark),
   * else "no {@code what}: the file has only blank lines".
   */
  private static DataFormatException nothingIn(Path file, boolean empty, String what) {
    return new DataFormatException(
        file, 1, empty ? "empty file" : "no " + what + ": the file has only blank lines");
  }

  /** A file's path for reading: a folder is refused by name (reading one fails without a path). */
  private static void requireFile(Path file) throws IOException {
    if (Files.isDirectory(file)) {
      throw new FileSystemException(file.toString(), null, "is a folder, not a data file");
    }
  }

  /** Hands each non-blank line's object to {@code handler}; returns how many there were. */
  private static int forEachObject(Path file, Utf8Input in, boolean dotJson, ObjectLine handler)
      throws IOException {
    int lineNo = 0;
    int objects = 0;
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      lineNo++;
      if (!line.isBlank()) {
        handler.accept(lineNo, parseObject(file, lineNo, line, dotJson));
        objects++;
      }
    }
    return objects;
  }

  private static void readJsonLines(
      Path file, Utf8Input in, List<Example> examples, List<Integer> lines, boolean dotJson)
      throws IOException {
    forEachObject(
        file,
        in,
        dotJson,
        (lineNo, o) -> {
          requireLowerCaseFields(file, lineNo, o, EXAMPLE_FIELDS);
          examples.add(
              example(
                  file,
                  lineNo,
                  jsonValue(file, lineNo, o, "text", false),
                  jsonValue(file, lineNo, o, "label", true),
                  jsonValue(file, lineNo, o, "client", true),
                  jsonValue(file, lineNo, o, "task", true)));
          lines.add(lineNo);
        });
    if (examples.isEmpty()) {
      throw nothingIn(file, !in.hadText(), "examples");
    }
  }

  /**
   * A field of a data file written in another case ({@code "Text"}) is named, where it would
   * otherwise read as missing (a CSV header's names are read in any case; a JSON key is exact).
   */
  private static void requireLowerCaseFields(
      Path file, int lineNo, JsonObject o, List<String> fields) {
    for (String field : fields) {
      if (!o.has(field)) {
        for (String key : o.keySet()) {
          if (key.equalsIgnoreCase(field)) {
            throw new DataFormatException(
                file,
                lineNo,
                "field \""
                    + key
                    + "\" must be written \""
                    + field
                    + "\" (field names are lower case)");
          }
        }
      }
    }
  }

  /** One line's object, parsed strictly; a repeated field is an error. */
  private static JsonObject parseObject(Path file, int lineNo, String line, boolean dotJson) {
    try {
      JsonReader reader = new JsonReader(new StringReader(line));
      reader.setStrictness(Strictness.STRICT);
      JsonToken first = reader.peek();
      if (first != JsonToken.BEGIN_OBJECT) {
        String hint =
            first == JsonToken.BEGIN_ARRAY && dotJson
                ? " (a JSON array file is not supported: write one object per line)"
                : "";
        throw new DataFormatException(
            file, lineNo, "expected a JSON object, found " + describe(first) + hint);
      }
      JsonObject o = new JsonObject();
      reader.beginObject();
      while (reader.hasNext()) {
        String key = reader.nextName();
        if (o.has(key)) {
          throw new DataFormatException(file, lineNo, "duplicate field \"" + key + "\"");
        }
        o.add(key, ELEMENT.read(reader));
      }
      reader.endObject();
      boolean trailing;
      try {
        trailing = reader.peek() != JsonToken.END_DOCUMENT;
      } catch (IOException e) {
        trailing = true; // strict mode rejects a second top-level value outright
      }
      if (trailing) {
        throw new DataFormatException(
            file, lineNo, "unexpected content after the JSON object (one object per line)");
      }
      return o;
    } catch (IOException | JsonParseException e) {
      throw new DataFormatException(file, lineNo, "invalid JSON" + gsonDetail(e.getMessage()));
    } catch (IllegalStateException | NumberFormatException e) {
      throw new DataFormatException(file, lineNo, "invalid JSON" + gsonDetail(e.getMessage()));
    }
  }

  /**
   * A field of a JSON Lines object as text, checked as data files check theirs: a string, or (where
   * {@code numbersAllowed}) a number as written; null when absent, or when null for {@code client}
   * and {@code task}.
   *
   * @throws DataFormatException naming the file, line and field, and what it holds instead
   */
  public static String jsonValue(
      Path file, int lineNo, JsonObject o, String key, boolean numbersAllowed) {
    JsonElement v = o.get(key);
    if (v == null) {
      return null;
    }
    if (v.isJsonPrimitive()) {
      JsonPrimitive p = v.getAsJsonPrimitive();
      if (p.isString() || (numbersAllowed && p.isNumber())) {
        return p.getAsString();
      }
    }
    if (v.isJsonNull() && (key.equals("client") || key.equals("task"))) {
      return null;
    }
    String expected = numbersAllowed ? "a string or a number" : "a string";
    throw new DataFormatException(
        file, lineNo, "field \"" + key + "\" must be " + expected + ", found " + describe(v));
  }

  /** "a string", "null", ... for an error message. */
  private static String describe(JsonElement v) {
    if (v.isJsonNull()) {
      return "null";
    }
    if (v.isJsonArray()) {
      return "an array";
    }
    if (v.isJsonObject()) {
      return "an object";
    }
    JsonPrimitive p = v.getAsJsonPrimitive();
    return p.isString() ? "a string" : p.isNumber() ? "a number" : "a boolean";
  }

  private static String describe(JsonToken token) {
    return switch (token) {
      case BEGIN_ARRAY -> "an array";
      case BEGIN_OBJECT -> "an object";
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      default -> token.toString().toLowerCase(Locale.ROOT);
    };
  }

  /** Gson's message reduced to its first sentence and column (the line is ours). */
  private static String gsonDetail(String message) {
    if (message == null || message.isBlank()) {
      return "";
    }
    String first = message.split("\n", 2)[0];
    Matcher m = GSON_COLUMN.matcher(first);
    String column = m.find() ? " at column " + m.group(1) : "";
    int at = first.indexOf(" at line ");
    String what = at >= 0 ? first.substring(0, at) : first;
    if (what.startsWith("Use JsonReader.setStrictness")
        || what.startsWith("Use JsonReader.setLenient")) {
      what = "not strict JSON (an unquoted name or string, single quotes, a comment or similar)";
    }
    return column + ": " + what;
  }

  // ---------------------------------------------------------------- CSV

  private record CsvRecord(int line, List<String> fields) {}

  private static void readCsv(Path file, Utf8Input in, List<Example> examples, List<Integer> lines)
      throws IOException {
    CsvReader records = new CsvReader(file, in);
    CsvRecord header = records.header();
    Map<String, Integer> col = columns(file, header, EXAMPLE_FIELDS);
    int textCol = col.getOrDefault("text", -1);
    int labelCol = col.getOrDefault("label", -1);
    int clientCol = col.getOrDefault("client", -1);
    int taskCol = col.getOrDefault("task", -1);
    if (textCol < 0 || labelCol < 0) {
      throw new DataFormatException(
          file,
          header.line(),
          "the header must name columns \"text\" and \"label\" (optional: \"client\", \"task\"),"
              + " found "
              + header.fields()
              + separatorHint(header.fields()));
    }
    for (CsvRecord rec = records.next(); rec != null; rec = records.next()) {
      List<String> f = fieldsOf(file, header, rec);
      examples.add(
          example(
              file,
              rec.line(),
              f.get(textCol),
              f.get(labelCol),
              clientCol < 0 ? null : f.get(clientCol),
              taskCol < 0 ? null : f.get(taskCol)));
      lines.add(rec.line());
    }
    if (examples.isEmpty()) {
      throw new DataFormatException(file, header.line(), "no examples after the header");
    }
  }

  /**
   * The columns of a CSV header that are among {@code known} (matched case-insensitively, by their
   * lower-case name); other columns are left out.
   *
   * @throws DataFormatException naming the header's line for a known column given twice
   */
  private static Map<String, Integer> columns(Path file, CsvRecord header, List<String> known) {
    Map<String, Integer> out = new LinkedHashMap<>();
    for (int c = 0; c < header.fields().size(); c++) {
      String column = header.fields().get(c).trim().toLowerCase(Locale.ROOT);
      if (known.contains(column) && out.put(column, c) != null) {
        throw new DataFormatException(file, header.line(), "duplicate column \"" + column + "\"");
      }
    }
    return out;
  }

  /** {@code rec}'s fields, checked to be as many as the header's. */
  private static List<String> fieldsOf(Path file, CsvRecord header, CsvRecord rec) {
    if (rec.fields().size() != header.fields().size()) {
      throw new DataFormatException(
          file,
          rec.line(),
          "expected "
              + header.fields().size()
              + " fields as in the header "
              + header.fields()
              + ", found "
              + rec.fields().size());
    }
    return rec.fields();
  }

  /**
   * RFC 4180 records read one at a time, each with the line it starts on; blank lines are skipped.
   * A line ends at LF, CR LF or CR; inside quotes a CR LF is read as LF.
   */
  private static final class CsvReader {
    private final Path file;
    private final Utf8Input in;
    private int line = 1;

    CsvReader(Path file, Utf8Input in) {
      this.file = file;
      this.in = in;
    }

    /** The first record, the header: "empty file" without one. */
    CsvRecord header() throws IOException {
      CsvRecord header = next();
      if (header == null) {
        throw new DataFormatException(
            file, 1, in.hadText() ? "empty file: no header row" : "empty file");
      }
      return header;
    }

    /** The next record, or null at the end of the file. */
    CsvRecord next() throws IOException {
      StringBuilder lead = new StringBuilder();
      while (true) {
        // A line of white space alone is skipped; otherwise it begins the first field.
        lead.setLength(0);
        int c = in.peek();
        if (c < 0) {
          return null;
        }
        while (c >= 0 && c != '\n' && c != '\r' && Character.isWhitespace(c)) {
          lead.append((char) in.next());
          c = in.peek();
        }
        if (c >= 0 && c != '\n' && c != '\r') {
          break;
        }
        skipNewline();
        line++;
      }
      int recordLine = line;
      List<String> fields = new ArrayList<>();
      while (true) {
        StringBuilder field = new StringBuilder();
        if (lead.isEmpty() && in.peek() == '"') {
          readQuoted(field);
        } else {
          field.append(lead);
          for (int c = in.peek(); c >= 0 && c != ',' && c != '\n' && c != '\r'; c = in.peek()) {
            field.append((char) in.next());
          }
        }
        lead.setLength(0);
        fields.add(field.toString());
        int c = in.peek();
        if (c == ',') {
          in.next();
          continue;
        }
        if (c >= 0) {
          skipNewline();
          line++;
        }
        return new CsvRecord(recordLine, fields);
      }
    }

    /** A quoted field (at its opening quote) into {@code field}. */
    private void readQuoted(StringBuilder field) throws IOException {
      int quoteLine = line;
      in.next();
      while (true) {
        int c = in.next();
        if (c < 0) {
          throw new DataFormatException(
              file, quoteLine, "unterminated quoted field (its opening quote is on this line)");
        }
        if (c == '"') {
          if (in.peek() != '"') {
            break;
          }
          field.append('"');
          in.next();
        } else if (c != '\r' || in.peek() != '\n') {
          if (c == '\n') {
            line++;
          }
          field.append((char) c);
        }
      }
      int after = in.peek();
      if (after >= 0 && after != ',' && after != '\n' && after != '\r') {
        throw new DataFormatException(
            file,
            line,
            "unexpected '"
                + (char) after
                + "' after a closing quote (write a quote inside a quoted field as \"\")");
      }
    }

    /** Takes the line break at hand (LF, CR LF or CR), if any. */
    private void skipNewline() throws IOException {
      if (in.peek() == '\r') {
        in.next();
      }
      if (in.peek() == '\n') {
        in.next();
      }
    }
  }

  // ---------------------------------------------------------------- common

  private static Example example(
      Path file, int line, String text, String label, String client, String task) {
    if (text == null) {
      throw new DataFormatException(file, line, "missing field \"text\"");
    }
    if (label == null) {
      throw new DataFormatException(file, line, "missing field \"label\"");
    }
    if (text.isBlank()) {
      throw new DataFormatException(file, line, "empty field \"text\"");
    }
    String l = label.trim();
    if (l.isEmpty()) {
      throw new DataFormatException(file, line, "empty field \"label\"");
    }
    return new Example(text, l, blankToNull(client), blankToNull(task));
  }

  /**
   * A {@code task} column names every example's task or none: an example without one, in a file
   * whose other examples have one, has no head to answer it.
   */
  private static void requireTaskOnAllOrNone(Path file, List<Example> examples, int[] lines) {
    int withTask = -1;
    int without = -1;
    for (int i = 0; i < examples.size() && (withTask < 0 || without < 0); i++) {
      if (examples.get(i).task() == null) {
        without = without < 0 ? i : without;
      } else {
        withTask = withTask < 0 ? i : withTask;
      }
    }
    if (withTask >= 0 && without >= 0) {
      throw new DataFormatException(
          file,
          lines[without],
          "no \"task\", while line "
              + lines[withTask]
              + " has one (\""
              + examples.get(withTask).task()
              + "\"): give every example a task, or none");
    }
  }

  private static String blankToNull(String s) {
    if (s == null) {
      return null;
    }
    String t = s.trim();
    return t.isEmpty() ? null : t;
  }

  /**
   * For a header read as one column: a hint when it holds a semicolon or a tab, the separators of
   * other CSV dialects (fedpeft reads commas, RFC 4180); empty otherwise.
   */
  private static String separatorHint(List<String> header) {
    if (header.size() != 1) {
      return "";
    }
    String only = header.get(0);
    String sep = only.contains("\t") ? "tabs" : only.contains(";") ? "semicolons" : null;
    return sep == null
        ? ""
        : "; the header looks separated by "
            + sep
            + ", but a .csv file is read as comma-separated (RFC 4180): save it with commas, or as"
            + " JSON Lines";
  }
}
