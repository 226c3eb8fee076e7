"""The programmes room (see room.py)."""
