/**
 * Soft embeddings (Fofonjka et al. 2025, arXiv 2509.16508): a small trainable residual map on the
 * token embeddings of a frozen encoder, adapter method {@code softembed}. Forms {@code linear} (e'
 * = e + U e), {@code lowrank} (U = P Q) and {@code mlp} (a residual bottleneck with GELU); each
 * equals the base model at init. Placement {@code tokens} acts on the raw word embeddings (before
 * position embeddings and the embedding LayerNorm), {@code embeddings} after that LayerNorm. Used
 * with a classification head over document ids, it is the paper's classifier-as-retriever.
 */
package org.fedpeft.peft.softembed;
