/**
 * Retrieval over a fixed corpus of documents: ranking metrics (top-1, recall@5, recall@10, MRR),
 * classifier-as-retriever scores (a classification head whose labels are document ids) and the MIPS
 * baseline (cosine nearest neighbour over sentence embeddings of the documents).
 */
package org.fedpeft.retrieval;
