"""Classification of papers: safety relevance and topic (B1), origin (B2), and the joined table."""
