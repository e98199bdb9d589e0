// name: payments_to_sanctioned
// description: People whose pay lands in an account also held by a sanctions-matched company or person.
// params: min_score=0.88, limit=100
// returns: person, person_name, account, holder, holder_name, listed_name, list_id, score
MATCH (p:Person)-[:HAS_ACCOUNT]->(a:Account)<-[:HAS_ACCOUNT]-(h)-[m:MATCHES]->(s:Sanction)
WHERE (h:Person OR h:Company) AND m.score >= $min_score AND h <> p
RETURN DISTINCT p.entity_id AS person, p.name AS person_name, a.value AS account,
       h.entity_id AS holder, h.name AS holder_name, s.name AS listed_name,
       s.list_id AS list_id, m.score AS score
ORDER BY person, account, holder, list_id
LIMIT $limit
