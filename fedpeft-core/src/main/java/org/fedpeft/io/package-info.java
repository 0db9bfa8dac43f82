/**
 * Files and byte formats: safetensors, Hugging Face PEFT adapter folders, and atomic writes.
 *
 * <ul>
 *   <li>{@link org.fedpeft.io.Safetensors} writes and reads the safetensors format (files and
 *       in-memory byte arrays, the latter for client updates on the wire); {@link
 *       org.fedpeft.io.SafetensorsFile} is the validated, read-only view of one file.
 *   <li>{@link org.fedpeft.io.AtomicFiles} writes a file through a temporary sibling, fsync and an
 *       atomic rename, so a crash never leaves a half-written checkpoint, adapter or report; {@code
 *       writeFolder} does the same for a whole folder (an adapter), so a crash leaves the old
 *       folder or the new one, never a mix of their files. The folder is built in a {@link
 *       org.fedpeft.io.StagingFolder}, the one mechanism for folders built beside their target
 *       (also {@code tasks export}): a locked hidden sibling that a failure or Ctrl-C deletes, and
 *       that the next writer deletes once its process is dead. {@link org.fedpeft.io.ShutdownHooks}
 *       adds and removes the hooks of such cleanups, also while the process is already shutting
 *       down.
 *   <li>{@link org.fedpeft.io.RunFolder} gives a run its output folder and holds it for the run's
 *       life (a file lock): a second process, or a command whose output the folder does not hold,
 *       is refused; {@link org.fedpeft.io.Sha256} fingerprints input files for manifests.
 *   <li>{@link org.fedpeft.io.Words} words the counts of messages ("1 example", "2 examples");
 *       {@link org.fedpeft.io.NaturalOrder} orders ids as a reader counts ({@code client-2} before
 *       {@code client-10}); {@link org.fedpeft.io.CommandName} names the command as the user ran it
 *       in every message that says what to run next (here, in this package's {@code RunFolder}
 *       refusals and in the config keys' rules alike).
 *   <li>{@link org.fedpeft.io.JsonFiles} reads the JSON files of run, adapter and model folders
 *       (summary.json, config.json, manifest.json, adapter_config.json, a model's config.json;
 *       those a user brings, a model's and an adapter's, at most {@link
 *       org.fedpeft.io.JsonFiles#MAX_BYTES} bytes), as strict UTF-8 through {@link
 *       org.fedpeft.io.Utf8Input}, the one strict UTF-8 decoder of the user's text files (data
 *       files too), then as strict JSON; a file that is too large, not UTF-8, not strict JSON, has
 *       a key twice or is not an object is a {@link org.fedpeft.io.JsonFileException} naming it.
 *       {@link org.fedpeft.io.JsonFiles#parse} is the same strict parse for JSON from a server's
 *       messages (the {@code run.*} settings of its instructions, its welcome).
 *   <li>{@link org.fedpeft.io.PeftAdapterFiles}, {@link org.fedpeft.io.PeftAdapterConfig} and
 *       {@link org.fedpeft.peft.PeftNames} (in {@code peft}: its module keys are BERT's) read and
 *       write LoRA adapters in the folder layout of Hugging Face PEFT ({@code adapter_config.json}
 *       + {@code adapter_model.safetensors}).
 * </ul>
 *
 * <p>Malformed input is reported with an unchecked exception whose message starts with the file (or
 * source) it came from, then names the problem and the tensor or field concerned.
 */
package org.fedpeft.io;
