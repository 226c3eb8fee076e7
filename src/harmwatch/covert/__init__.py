"""The covert room (see room.py)."""
