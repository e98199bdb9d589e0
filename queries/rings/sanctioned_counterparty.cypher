// name: sanctioned_counterparty
// description: Companies matching a sanctions entry and the people they pay.
// params: min_score=0.5, max_members=20, limit=100
// returns: company, company_name, listed_name, list, list_id, score, paid, paid_ids, paid_names
// paid: how many people the company pays; paid_ids and paid_names hold the first max_members, sorted by id
MATCH (c:Company)-[m:MATCHES]->(s:Sanction)
WHERE m.score >= $min_score
OPTIONAL MATCH (c)-[:PAYS]->(p:Person)
WITH DISTINCT c, m, s, p
ORDER BY p.entity_id
WITH c, m, s, collect(p.entity_id) AS ids, collect(p.name) AS people
RETURN c.entity_id AS company, c.name AS company_name, s.name AS listed_name, s.list AS list,
       s.list_id AS list_id, m.score AS score, size(ids) AS paid,
       ids[..$max_members] AS paid_ids, people[..$max_members] AS paid_names
ORDER BY score DESC, company, list, list_id
LIMIT $limit
