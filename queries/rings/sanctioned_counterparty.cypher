// name: sanctioned_counterparty
// description: Companies matching a sanctions entry, the people they pay, and who else holds their accounts.
// params: min_score=0.5, max_members=20, limit=100
// returns: company, company_name, listed_name, list, list_id, score, paid, paid_ids, paid_names, account_sharers, account_sharer_ids, account_sharer_names
// paid: how many people the company pays; account_sharers: how many other people or companies hold one of its accounts; the id and name lists hold the first max_members, sorted by id
MATCH (c:Company)-[m:MATCHES]->(s:Sanction)
WHERE m.score >= $min_score
OPTIONAL MATCH (c)-[:PAYS]->(p:Person)
WITH DISTINCT c, m, s, p
ORDER BY p.entity_id
WITH c, m, s, collect(p.entity_id) AS ids, collect(p.name) AS people
OPTIONAL MATCH (c)-[:HAS_ACCOUNT]->(:Account)<-[:HAS_ACCOUNT]-(h)
WHERE (h:Person OR h:Company) AND h <> c
WITH DISTINCT c, m, s, ids, people, h
ORDER BY h.entity_id
WITH c, m, s, ids, people, collect(h.entity_id) AS sharer_ids, collect(h.name) AS sharers
RETURN c.entity_id AS company, c.name AS company_name, s.name AS listed_name, s.list AS list,
       s.list_id AS list_id, m.score AS score, size(ids) AS paid,
       ids[..$max_members] AS paid_ids, people[..$max_members] AS paid_names,
       size(sharer_ids) AS account_sharers, sharer_ids[..$max_members] AS account_sharer_ids,
       sharers[..$max_members] AS account_sharer_names
ORDER BY score DESC, company, list, list_id
LIMIT $limit
