// name: top_shared_identifiers
// description: Identifiers shared by the most entities (hubs first: offices, carrier IPs).
// params: limit=20
// returns: identifier, label, entities
MATCH (e)-[]->(i)
WHERE (e:Person OR e:Company)
  AND (i:Account OR i:Device OR i:IP OR i:Email OR i:Phone OR i:Address OR i:Document)
WITH i, count(DISTINCT e) AS entities
RETURN i.key AS identifier, labels(i)[0] AS label, entities
ORDER BY entities DESC, identifier
LIMIT $limit
