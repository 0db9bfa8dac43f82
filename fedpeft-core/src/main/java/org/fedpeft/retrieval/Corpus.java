package org.fedpeft.retrieval;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fedpeft.data.DataFiles;
import org.fedpeft.data.DataFormatException;
import org.fedpeft.data.Dataset;
import org.fedpeft.data.Example;
import org.fedpeft.data.Splits;
import org.fedpeft.data.TaskOptions;
import org.fedpeft.data.TaskSplits;

/**
 * A fixed corpus of documents, each with a unique id and a non-empty text. Document {@code i} is
 * the i-th object of its file, blank lines not counted (or the i-th document of a task's corpus); a
 * classifier-as-retriever head has one label per document, the ids in this order.
 *
 * <p>File format: JSON Lines, read as strictly as data files ({@link DataFiles#forEachJsonObject}:
 * UTF-8, one strict JSON object per line), one object per document with string fields {@code id} (a
 * number is read as its text; trimmed, as data files' labels are) and {@code text}; blank lines are
 * skipped, other fields ignored. This is what {@code fedpeft tasks export} writes as {@code
 * corpus.jsonl}. Queries for training and evaluation are JSON Lines with {@code text} and {@code
 * doc} (the id of the query's document), read by {@link #readQueries}.
 */
public final class Corpus {

  private final String name;
  private final List<String> ids;
  private final List<String> texts;
  private final Map<String, Integer> index;

  private Corpus(String name, List<String> ids, List<String> texts, Map<String, Integer> index) {
    this.name = name;
    this.ids = List.copyOf(ids);
    this.texts = List.copyOf(texts);
    this.index = Map.copyOf(index);
  }

  /**
   * The corpus of ids and texts, in order.
   *
   * @throws IllegalArgumentException on no documents, a duplicate id, or an empty text
   */
  public static Corpus of(String name, List<String> ids, List<String> texts) {
    if (ids.size() != texts.size()) {
      throw new IllegalArgumentException(
          name + ": " + ids.size() + " ids but " + texts.size() + " texts");
    }
    if (ids.isEmpty()) {
      throw new IllegalArgumentException(name + ": the corpus has no documents");
    }
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < ids.size(); i++) {
      String id = ids.get(i);
      if (id == null || id.isEmpty()) {
        throw new IllegalArgumentException(name + ": document " + i + " has an empty id");
      }
      Integer before = index.putIfAbsent(id, i);
      if (before != null) {
        throw new IllegalArgumentException(
            name
                + ": duplicate document id \""
                + id
                + "\" (documents "
                + before
                + " and "
                + i
                + ")");
      }
      if (texts.get(i) == null || texts.get(i).isBlank()) {
        throw new IllegalArgumentException(name + ": document \"" + id + "\" has an empty text");
      }
    }
    return new Corpus(name, ids, texts, index);
  }

  /** A task's retrieval corpus: each example's label is its id. */
  public static Corpus of(Dataset corpus) {
    List<String> ids = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    for (Example e : corpus.examples()) {
      ids.add(e.label());
      texts.add(e.text());
    }
    return of(corpus.name(), ids, texts);
  }

  /**
   * Reads a corpus file (see the class comment).
   *
   * @throws DataFormatException naming file and line: invalid JSON, a missing or non-string field,
   *     an empty or blank id, an empty text, a duplicate id (after trimming) (with the line of its
   *     first use), or no documents
   */
  public static Corpus read(Path file) throws IOException {
    List<String> ids = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    Map<String, Integer> firstLine = new HashMap<>();
    Map<String, Integer> index = new HashMap<>();
    requireNotCsv(file, "a corpus is", "{\"id\": ..., \"text\": ...}");
    DataFiles.forEachJsonObject(
        file,
        "documents",
        (line, o) -> {
          String id = field(file, line, o, "id");
          String text = field(file, line, o, "text");
          if (id.isEmpty()) {
            throw new DataFormatException(file, line, "empty or blank \"id\"");
          }
          if (text.isBlank()) {
            throw new DataFormatException(file, line, "document \"" + id + "\" has an empty text");
          }
          Integer before = firstLine.putIfAbsent(id, line);
          if (before != null) {
            throw new DataFormatException(
                file, line, "duplicate document id \"" + id + "\" (first on line " + before + ")");
          }
          index.put(id, ids.size());
          ids.add(id);
          texts.add(text);
        });
    return new Corpus(file.toString(), ids, texts, index);
  }

  /**
   * Reads queries for this corpus: JSON Lines with {@code text} and {@code doc} (or {@code label},
   * as {@code fedpeft tasks export} writes a retrieval task's splits). The dataset's labels are
   * this corpus's ids in corpus order, so a head trained on it scores every document.
   *
   * @throws DataFormatException naming file and line: invalid JSON, a missing field, an empty text,
   *     or a {@code doc} id that is not in this corpus
   */
  public Dataset readQueries(Path file) throws IOException {
    List<Example> examples = new ArrayList<>();
    requireNotCsv(file, "queries of a corpus are", "{\"text\": ..., \"doc\": ...}");
    DataFiles.forEachJsonObject(
        file,
        "queries",
        (line, o) -> {
          String text = field(file, line, o, "text");
          // "label" as tasks export writes a retrieval task's splits (the labels are the ids).
          String docField = o.has("doc") || !o.has("label") ? "doc" : "label";
          String doc = field(file, line, o, docField);
          if (o.has("doc") && o.has("label") && !doc.equals(field(file, line, o, "label"))) {
            throw new DataFormatException(
                file, line, "\"doc\" and \"label\" name different documents; give one");
          }
          if (text.isBlank()) {
            throw new DataFormatException(file, line, "empty query text");
          }
          if (!index.containsKey(doc)) {
            throw new DataFormatException(
                file,
                line,
                docField + " \"" + doc + "\" is not a document id of the corpus " + name);
          }
          examples.add(new Example(text, doc, null, null));
        });
    return Dataset.of(file.toString(), examples, ids);
  }

  /**
   * Training, validation and test queries for this corpus, the way {@code --data}/{@code --test}
   * files are split: without {@code testQueries}, {@code queries} is split stratified by document
   * with the fractions of {@code options}; with it, {@code queries} gives train and validation and
   * {@code testQueries} the test split. Caps of {@code options} apply. The splits carry this corpus
   * as their retrieval corpus, and their labels are its ids in corpus order.
   *
   * @param testQueries a second query file, or null
   * @throws DataFormatException naming the file and line of a bad query (see {@link #readQueries})
   */
  public TaskSplits splits(Path queries, Path testQueries, TaskOptions options, long seed)
      throws IOException {
    Dataset all = readQueries(queries);
    Path fileName = queries.getFileName();
    String task = fileName == null ? queries.toString() : fileName.toString();
    TaskSplits s;
    if (testQueries == null) {
      s = Splits.stratified(task, all, options, seed);
    } else {
      Dataset test = readQueries(testQueries);
      TaskOptions noTest =
          options.withFractions(1.0 - options.validationFraction(), options.validationFraction());
      TaskSplits trainVal = Splits.stratified(task, all, noTest, seed);
      Dataset capped =
          options.maxTest() < test.size()
              ? Splits.capStratified(test, options.maxTest(), seed)
              : test;
      s = new TaskSplits(task, trainVal.train(), trainVal.validation(), capped, null);
    }
    return new TaskSplits(task, s.train(), s.validation(), s.test(), asDataset());
  }

  /** The documents as a dataset: each document's text labelled with its id, ids in order. */
  public Dataset asDataset() {
    List<Example> docs = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      docs.add(new Example(texts.get(i), ids.get(i), null, null));
    }
    return Dataset.of(name, docs, ids);
  }

  /** Where the corpus came from (a file or a task's corpus name). */
  public String name() {
    return name;
  }

  /** Number of documents. */
  public int size() {
    return ids.size();
  }

  /** The document ids, in order. */
  public List<String> ids() {
    return ids;
  }

  /** The document texts, in order. */
  public List<String> texts() {
    return texts;
  }

  /** The index of the document with this id, or -1. */
  public int indexOf(String id) {
    Integer i = index.get(id);
    return i == null ? -1 : i;
  }

  /**
   * Refuses a {@code .csv} file by name: labelled data may be CSV, a corpus and its queries are
   * JSON Lines only, and a CSV header read as JSON gave only "invalid JSON at column 1".
   */
  private static void requireNotCsv(Path file, String whatIs, String object) {
    Path name = file.getFileName();
    if (name != null && name.toString().toLowerCase(java.util.Locale.ROOT).endsWith(".csv")) {
      throw new DataFormatException(
          file,
          1,
          whatIs + " read as JSON Lines (one " + object + " per line), not CSV: save it as .jsonl");
    }
  }

  /** A required field, typed as data files type theirs (a number allowed, except for text). */
  private static String field(Path file, int line, JsonObject o, String key) {
    String v = DataFiles.jsonValue(file, line, o, key, !key.equals("text"));
    if (v == null) {
      throw new DataFormatException(file, line, "missing field \"" + key + "\"");
    }
    // Ids are trimmed as data files' labels are (a query's doc is a label), texts kept as written.
    return key.equals("text") ? v : v.trim();
  }
}
