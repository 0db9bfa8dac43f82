/**
 * Retrieval over a fixed corpus of documents: ranking metrics (top-1, recall@5, recall@10, MRR),
 * classifier-as-retriever scores (a classification head whose labels are document ids), the MIPS
 * baseline (cosine nearest neighbour over sentence embeddings of the documents), and the head that
 * starts where MIPS is ({@link org.fedpeft.retrieval.DocumentHeadInit}, {@code head.init =
 * "documents"}).
 */
package org.fedpeft.retrieval;
