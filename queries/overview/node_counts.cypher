// name: node_counts
// description: Number of nodes per label in the graph, largest first.
// params: (none)
// returns: label, nodes
MATCH (n)
UNWIND labels(n) AS label
RETURN label, count(*) AS nodes
ORDER BY nodes DESC, label
