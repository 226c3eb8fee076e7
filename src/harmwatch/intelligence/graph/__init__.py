"""Link analysis on igraph: networks from files or links, centralities, paths, key players.

:mod:`.network` holds the graph (ties collapsed, strengths and their 1/w distances),
:mod:`.files` reads adjacency matrices and edge lists, :mod:`.centrality` computes
degree, betweenness, closeness, eigenvector and core numbers with networkx's
definitions (exact, or estimated from sampled sources on large graphs), :mod:`.paths`
finds paths on the part of the graph a caller may see, and :mod:`.players` ranks key
players, finds communities and measures what removing players does.
"""
