"""Deciding who is who: candidate generation by blocking keys, tiers, scores, evidence."""
