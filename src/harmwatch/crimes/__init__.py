"""A force's own crime records: exact places, times and flags, beside police.uk."""
