"""Oversight: what a Police and Crime Commissioner or a drug partnership reports.

The PCC and the Combating Drugs Partnership report against the national drug
strategy (*From Harm to Hope*, HM Government 2021) and a Police and Crime Plan.
This room turns what harmwatch holds — police.uk street crime, outcomes and
stop-and-search, and the operations, programmes and forensic-review records —
into those measures, each compared honestly with its baseline, small numbers
suppressed by the one rule (:mod:`harmwatch.outputs.suppression`), for one force
or a set of forces.
"""
