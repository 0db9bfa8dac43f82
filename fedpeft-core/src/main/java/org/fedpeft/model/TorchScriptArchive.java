package org.fedpeft.model;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a TorchScript archive (what {@code torch.jit.save} writes and {@code torch::jit::load}
 * reads) for a module without parameters, from TorchScript source text.
 *
 * <p>The archive is a zip file (entries stored, not compressed) under one top folder:
 *
 * <ul>
 *   <li>{@code data.pkl}: the module object, pickled (protocol 2): {@code __torch__.NAME} created
 *       with no arguments, its state set to {@code {"training": True}} (plus an empty list for each
 *       declared tensor-list attribute, see {@link #write(String, List, String)});
 *   <li>{@code code/__torch__.py}: the class in TorchScript's serialized source form, which the
 *       loader compiles (so {@code torch.*} calls resolve to the loading libtorch's operators);
 *   <li>{@code constants.pkl}: the pickled tuple of tensor constants, here empty;
 *   <li>{@code version}: the archive format version, 3 (the oldest format libtorch 2.x still reads
 *       without upgraders for the operators used here).
 * </ul>
 *
 * No tensors are stored, so nothing needs the 64-byte alignment that tensor records have. This lets
 * fedpeft use libtorch operators that DJL's JNI does not expose (such as {@code
 * scaled_dot_product_attention}) without Python at build or run time.
 */
public final class TorchScriptArchive {

  private TorchScriptArchive() {}

  /**
   * The archive bytes.
   *
   * @param className the module's class name (an identifier), also the top folder's name
   * @param body the class body: methods indented by two spaces, each {@code def m(self: __torch__.
   *     NAME, ...) -> T:}, types annotated as TorchScript requires
   */
  public static byte[] write(String className, String body) {
    return write(className, List.of(), body);
  }

  /**
   * The archive bytes of a module that also has attributes of type {@code List[Tensor]}, each
   * starting empty. Its methods may append to them ({@code self.NAME.append(t)}) and read them, so
   * tensors can be kept inside libtorch, owned by the module, without ever becoming DJL arrays (DJL
   * 0.35.1 cannot hold bfloat16 ones).
   *
   * @param className the module's class name (an identifier), also the top folder's name
   * @param tensorLists the names of the {@code List[Tensor]} attributes (identifiers)
   * @param body the class body, as for {@link #write(String, String)}
   */
  public static byte[] write(String className, List<String> tensorLists, String body) {
    if (!className.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new IllegalArgumentException("not an identifier: " + className);
    }
    StringBuilder attributes = new StringBuilder("  training : bool\n");
    for (String a : tensorLists) {
      if (!a.matches("[A-Za-z_][A-Za-z0-9_]*") || a.equals("training")) {
        throw new IllegalArgumentException("not an attribute name: " + a);
      }
      attributes.append("  ").append(a).append(" : List[Tensor]\n");
    }
    String source =
        "class "
            + className
            + "(Module):\n"
            + "  __parameters__ = []\n"
            + "  __buffers__ = []\n"
            + attributes
            + body;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      String dir = className + "/";
      entry(zip, dir + "data.pkl", moduleObject(className, tensorLists));
      entry(zip, dir + "code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
      entry(zip, dir + "constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'}); // ()
      entry(zip, dir + "version", "3\n".getBytes(StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
    return out.toByteArray();
  }

  /**
   * Pickle protocol 2 of {@code __torch__.NAME()} with state {@code {"training": True}} and an
   * empty list under each of {@code tensorLists}.
   */
  private static byte[] moduleObject(String className, List<String> tensorLists) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(0x80); // PROTO
    b.write(2);
    b.write('c'); // GLOBAL module \n name \n
    b.writeBytes(("__torch__\n" + className + "\n").getBytes(StandardCharsets.US_ASCII));
    b.write(')'); // EMPTY_TUPLE: the constructor's arguments
    b.write(0x81); // NEWOBJ
    b.write('}'); // EMPTY_DICT: the state
    key(b, "training");
    b.write(0x88); // NEWTRUE
    b.write('s'); // SETITEM
    for (String a : tensorLists) {
      key(b, a);
      b.write(']'); // EMPTY_LIST
      b.write('s'); // SETITEM
    }
    b.write('b'); // BUILD: set the object's state
    b.write('.'); // STOP
    return b.toByteArray();
  }

  /** A short ASCII string (under 256 bytes) as BINUNICODE with its 4-byte little-endian length. */
  private static void key(ByteArrayOutputStream b, String name) {
    byte[] key = name.getBytes(StandardCharsets.US_ASCII);
    b.write('X');
    b.write(key.length);
    b.write(0);
    b.write(0);
    b.write(0);
    b.writeBytes(key);
  }

  private static void entry(ZipOutputStream zip, String name, byte[] data) throws IOException {
    ZipEntry e = new ZipEntry(name);
    e.setMethod(ZipEntry.STORED);
    e.setSize(data.length);
    e.setCompressedSize(data.length);
    e.setTime(315532800000L); // 1980-01-01, so the bytes do not depend on when they were written
    CRC32 crc = new CRC32();
    crc.update(data);
    e.setCrc(crc.getValue());
    zip.putNextEntry(e);
    zip.write(data);
    zip.closeEntry();
  }
}
