"""Reading a solved plan: explanations and marginal values, comparisons, what-if changes, robustness, summaries."""
