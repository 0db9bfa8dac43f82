/**
 * FedBE (Huo et al. 2025, arXiv 2506.05977): federated fine-tuning by block expansion. New
 * transformer blocks go between the frozen blocks of the base encoder ({@link
 * org.fedpeft.peft.expansion.ExpansionAdapter}, adapter method {@code fedbe}); each round the
 * server gives each client a subset of them to train according to its capacity and, by default, how
 * recently each block was trained and how skewed the client's labels are ({@link
 * org.fedpeft.peft.expansion.FedBeStrategy}, {@code server.strategy = "fedbe"}).
 *
 * <p>Block design. BERT is post-LayerNorm: copying a block and zeroing its output projections (as
 * LLaMA-Pro does in a pre-LayerNorm model) still passes the input through the copied LayerNorms, so
 * it is not the identity. fedpeft's new blocks are pre-LayerNorm residual blocks ({@link
 * org.fedpeft.peft.expansion.ExpansionBlock}), x + Attn(LN(x)) then + FFN(LN(.)), with both output
 * projections zero: the expanded model is the base model to the bit at init. The alternative, a
 * gated post-LN copy x + g (Block(x) - x) with g = 0, is exact too but gives every block weight a
 * zero gradient until g moves and scales it by g afterwards, while the pre-LN block trains both
 * output projections from the first step and every other weight from the second, and its output
 * stays x plus a learned residual, close to what the next frozen block was trained on.
 */
package org.fedpeft.peft.expansion;
