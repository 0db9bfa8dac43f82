/**
 * Ravan (Raje et al., NeurIPS 2025, arXiv 2506.05568): multi-head LoRA whose frozen, seed-derived
 * factors B_i and A_i surround a trained r x r core H_i and a trained per-round scale s_i, with
 * head selection under a per-client compute budget; and Fed-SB, the one-head, unscaled case.
 *
 * <p>{@link org.fedpeft.peft.ravan.RavanAdapter} holds the tensors and computes the adapted layer
 * as one low-rank product; {@link org.fedpeft.peft.ravan.RavanConfig} reads the options; {@link
 * org.fedpeft.peft.ravan.RavanMethod} and {@link org.fedpeft.peft.ravan.FedSbMethod} register the
 * two method names; {@link org.fedpeft.peft.ravan.RavanExport} writes a Ravan adapter as one
 * Hugging Face PEFT LoRA of rank h r per target.
 */
package org.fedpeft.peft.ravan;
