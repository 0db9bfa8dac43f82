/**
 * Federated full fine-tuning of the top k blocks of the base encoder, the baseline that unfreezes
 * part of the model ({@link org.fedpeft.peft.topblocks.TopBlocksAdapter}, adapter method {@code
 * top-blocks}): trainable copies of every weight of the top k blocks replace those blocks through
 * the encoder's {@code replaceBlock} insertion point; the blocks below stay frozen and run on the
 * encoder's fast path.
 */
package org.fedpeft.peft.topblocks;
