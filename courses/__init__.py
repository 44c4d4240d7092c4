"""courses package of Pioneer Learning (see DESIGN.md §4)."""
