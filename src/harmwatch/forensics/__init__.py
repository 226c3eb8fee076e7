"""Can we trust the evidence: forensic cases, exhibits, chain of custody, lab-incident review.

A room on the records kernel (see ``room.py``), for the forensic reviewer.
"""
