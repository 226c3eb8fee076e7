"""What we did: operations, their results, seizures with street values, and summaries.

A room on the records kernel (see ``room.py``): every operation and result is a
record under the policy, every change a unit of work, every figure of a summary
computed from the records and traceable to them.
"""
