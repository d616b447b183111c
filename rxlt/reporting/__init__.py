"""Rendering and figures: executed notebook -> offline HTML, the reports index, figures, tidy tables."""
