"""What an analysis is asked about, shared by every room.

- :mod:`.filter`: :class:`~.filter.Filter`, which crimes (forces, crime types, months);
- :mod:`.place`: :class:`~.place.Place`, where (the forces' ground, a district, LSOA
  codes, a boundary, a box or grid cells), and the rule each verb keeps about it;
- :mod:`.params`: :class:`~.params.Param`, one field of a verb's request declared
  once (help, type, default, bounds, names on each front), the
  :class:`~.params.Request` base every verb's request builds on, and the readers
  that turn what a front received into a request, collecting every problem;
- :mod:`.fields`: the parameters several verbs share (forces, crime types, months,
  boundaries, LSOA codes) and the text forms they are typed in.

Each room's requests (``where/requests.py``, ``evaluation/requests.py``) are built
from these; the command line (``cli/params.py``) and the web (``web/forms.py``)
build their options, query parameters and form readers from the requests.
"""
