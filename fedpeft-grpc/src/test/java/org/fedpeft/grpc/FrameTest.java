package org.fedpeft.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameTest {

  @Test
  void aFrameRoundTripsThroughItsBytes() {
    Frame f =
        new Frame(
            Frame.Type.REPLY, "run-1", 42, 3, Frame.Phase.FIT, 10, 4, "é ok", new byte[] {1, 2});
    Frame back = Frame.decode(new ByteArrayInputStream(f.encode()));
    assertEquals(f, back);
    assertArrayEquals(new byte[] {1, 2}, back.payload());
  }

  @Test
  void aFrameOfAnotherVersionOrTypeIsRefused() {
    byte[] bytes = Frame.control(Frame.Type.HELLO, "", 0, 0, Frame.Phase.NONE, "a").encode();
    bytes[0] = 9;
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Frame.decode(new ByteArrayInputStream(bytes)));
    assertEquals("frame format version 9, this side speaks 2", e.getMessage());
    bytes[0] = Frame.FORMAT_VERSION;
    bytes[1] = 77;
    e =
        assertThrows(
            IllegalArgumentException.class, () -> Frame.decode(new ByteArrayInputStream(bytes)));
    assertEquals("unknown frame type 77", e.getMessage());
  }

  @Test
  void aLongReasonIsCut() {
    Frame f = Frame.control(Frame.Type.FAILED, "r", 1, 1, Frame.Phase.FIT, "x".repeat(100_000));
    assertEquals(Frame.MAX_TEXT_CHARS + 3, f.text().length());
    assertEquals(f, Frame.decode(new ByteArrayInputStream(f.encode())));
  }

  @Test
  void theAssemblerPutsChunksBackTogetherAndRefusesGapsAndOversize() {
    byte[] message = new byte[40];
    for (int i = 0; i < message.length; i++) {
      message[i] = (byte) i;
    }
    List<Frame> chunks = RawNode.reply("r", 5, 1, Frame.Phase.FIT, message, 16);
    assertEquals(3, chunks.size());
    MessageAssembler a = MessageAssembler.start(chunks.get(0), 40, "m");
    assertFalse(a.add(chunks.get(0), "m"));
    assertFalse(a.add(chunks.get(1), "m"));
    assertTrue(a.add(chunks.get(2), "m"));
    assertArrayEquals(message, a.message());

    MessageAssembler b = MessageAssembler.start(chunks.get(0), 40, "m");
    b.add(chunks.get(0), "m");
    MessageRejectedException gap =
        assertThrows(MessageRejectedException.class, () -> b.add(chunks.get(2), "m"));
    assertEquals("m: a chunk at offset 32, expected 16", gap.getMessage());

    MessageRejectedException big =
        assertThrows(
            MessageRejectedException.class, () -> MessageAssembler.start(chunks.get(0), 39, "m"));
    assertEquals("m of 40 bytes exceeds the limit of 39 bytes", big.getMessage());

    List<Frame> empty = RawNode.reply("r", 6, 1, Frame.Phase.FIT, new byte[0], 16);
    assertEquals(1, empty.size());
    MessageAssembler c = MessageAssembler.start(empty.get(0), 40, "m");
    assertTrue(c.add(empty.get(0), "m"));
    assertEquals(0, c.message().length);
  }
}
