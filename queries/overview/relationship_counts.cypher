// name: relationship_counts
// description: Number of relationships per type, largest first.
// params: (none)
// returns: type, relationships
MATCH ()-[r]->()
RETURN type(r) AS type, count(*) AS relationships
ORDER BY relationships DESC, type
