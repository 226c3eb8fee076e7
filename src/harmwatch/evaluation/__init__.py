"""Did it work: evaluating an intervention, or a change between two periods, honestly.

``rates`` holds the exact Poisson rate-ratio arithmetic, ``wdq`` the weighted
displacement quotient, ``areas`` the target / buffer / control areas, ``did`` the
difference-in-differences count model, ``evaluate`` and ``change`` the two verbs,
``trends`` the monthly counts per crime type with the latest month compared (the
overview page's verb), ``requests`` what each verb can be asked (one request per
verb, from which the command line, the API and the forms are built) and
``charts`` the pictures. Every figure comes with its interval, its p-value and
the caveats a reader needs before quoting it: police-recorded crime counts are
small, noisy, trend with the whole force and (for drugs) follow police activity.
"""
