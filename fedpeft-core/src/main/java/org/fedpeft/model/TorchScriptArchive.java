package org.fedpeft.model;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
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
 *       with no arguments, its state set to {@code {"training": True}};
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
    if (!className.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new IllegalArgumentException("not an identifier: " + className);
    }
    String source =
        "class "
            + className
            + "(Module):\n"
            + "  __parameters__ = []\n"
            + "  __buffers__ = []\n"
            + "  training : bool\n"
            + body;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      String dir = className + "/";
      entry(zip, dir + "data.pkl", moduleObject(className));
      entry(zip, dir + "code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
      entry(zip, dir + "constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'}); // ()
      entry(zip, dir + "version", "3\n".getBytes(StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
    return out.toByteArray();
  }

  /** Pickle protocol 2 of {@code __torch__.NAME()} with state {@code {"training": True}}. */
  private static byte[] moduleObject(String className) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(0x80); // PROTO
    b.write(2);
    b.write('c'); // GLOBAL module \n name \n
    b.writeBytes(("__torch__\n" + className + "\n").getBytes(StandardCharsets.US_ASCII));
    b.write(')'); // EMPTY_TUPLE: the constructor's arguments
    b.write(0x81); // NEWOBJ
    b.write('}'); // EMPTY_DICT: the state
    byte[] key = "training".getBytes(StandardCharsets.US_ASCII);
    b.write('X'); // BINUNICODE, 4-byte little-endian length
    b.write(key.length);
    b.write(0);
    b.write(0);
    b.write(0);
    b.writeBytes(key);
    b.write(0x88); // NEWTRUE
    b.write('s'); // SETITEM
    b.write('b'); // BUILD: set the object's state
    b.write('.'); // STOP
    return b.toByteArray();
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
