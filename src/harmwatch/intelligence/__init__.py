"""Who: graded intelligence, entities, links and link analysis (the intelligence room)."""
