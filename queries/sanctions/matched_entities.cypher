// name: matched_entities
// description: People and companies whose names match a sanctions-list entry, best first.
// params: min_score=0.88, limit=100
// returns: entity_id, name, list, list_id, listed_name, programs, score, evidence
MATCH (e)-[m:MATCHES]->(s:Sanction)
WHERE (e:Person OR e:Company) AND m.score >= $min_score
RETURN DISTINCT e.entity_id AS entity_id, e.name AS name, s.list AS list,
       s.list_id AS list_id, s.name AS listed_name, s.programs AS programs, m.score AS score,
       m.evidence AS evidence
ORDER BY score DESC, entity_id, list, list_id
LIMIT $limit
